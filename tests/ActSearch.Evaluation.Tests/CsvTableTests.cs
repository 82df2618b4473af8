using ActSearch.Evaluation.Data;

namespace ActSearch.Evaluation.Tests;

public class CsvTableTests
{
    private static Dataset Read(string text, CsvOptions? options = null) =>
        CsvTable.Read(new StringReader(text), "t.csv", options ?? new CsvOptions(), "t");

    [Fact]
    public void Reads_numeric_features_and_an_integer_target()
    {
        var d = Read("a,b,y\n1,2.5,0\n-3,4e-1,1\n\n5,6,2\n");
        Assert.Equal(3, d.Count);
        Assert.Equal([2], d.FeatureShape);
        Assert.Equal([1f, 2.5f, -3f, 0.4f, 5f, 6f], d.Features);
        Assert.Equal([0, 1, 2], d.Labels!);
        Assert.Equal(3, d.ClassCount);
    }

    [Fact]
    public void Target_column_is_chosen_by_name_and_class_names_map_in_ordinal_order()
    {
        var d = Read("species,x,id\nsetosa,1,a\nvirginica,2,b\nversicolor,3,c\n",
            new CsvOptions { TargetColumn = "species", IgnoreColumns = ["id"] });
        Assert.Equal([1f, 2f, 3f], d.Features);
        Assert.Equal([0, 2, 1], d.Labels!);
    }

    [Fact]
    public void Regression_targets_are_real()
    {
        var d = Read("x,y\n1,0.5\n2,-1.25\n", new CsvOptions { Classification = false });
        Assert.Null(d.Labels);
        Assert.Equal([0.5f, -1.25f], d.Targets!);
    }

    [Fact]
    public void Quoted_fields_may_hold_separators()
    {
        var d = Read("\"a,1\",y\n\"3\",1\n");
        Assert.Equal([3f], d.Features);
    }

    [Fact]
    public void A_non_numeric_feature_names_line_column_and_header()
    {
        var e = Assert.Throws<DataFormatException>(() => Read("a,b,y\n1,2,0\n1,oops,1\n"));
        Assert.Equal("t.csv: line 3, column 2 ('b'): 'oops' is not a number", e.Message);
    }

    [Fact]
    public void A_short_row_is_reported()
    {
        var e = Assert.Throws<DataFormatException>(() => Read("a,b,y\n1,2\n"));
        Assert.Contains("line 2: 2 fields, the header has 3", e.Message);
    }

    [Fact]
    public void A_missing_target_column_lists_the_header()
    {
        var e = Assert.Throws<DataFormatException>(() => Read("a,b\n1,2\n", new CsvOptions { TargetColumn = "label" }));
        Assert.Contains("no column named 'label' in the header (a, b)", e.Message);
    }

    [Fact]
    public void Empty_files_and_header_only_files_are_errors()
    {
        Assert.Contains("empty file", Assert.Throws<DataFormatException>(() => Read("")).Message);
        Assert.Contains("no data rows", Assert.Throws<DataFormatException>(() => Read("a,y\n")).Message);
    }

    [Fact]
    public void Unterminated_quotes_are_errors()
    {
        Assert.Contains("line 2: unterminated quoted field", Assert.Throws<DataFormatException>(() => Read("a,y\n\"1,0\n")).Message);
    }

    [Fact]
    public void Committed_breast_cancer_table_loads_with_its_documented_shape()
    {
        var d = DataSets.BreastCancer();
        Assert.Equal(569, d.Count);
        Assert.Equal([30], d.FeatureShape);
        Assert.Equal([212, 357], d.ClassCounts());
        Assert.Equal(17.99f, d.Features[0]);
    }
}
