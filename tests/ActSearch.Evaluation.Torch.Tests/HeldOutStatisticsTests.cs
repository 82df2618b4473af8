using ActSearch.Evaluation.Torch.HeldOut;

namespace ActSearch.Evaluation.Torch.Tests;

/// <summary>
/// The statistics behind the held-out verdicts, against values checked by hand: closed forms of the incomplete beta
/// function and of Student's t for 1, 2 and 4 degrees of freedom, and Welch's test worked out on paper
/// (R's <c>t.test(c(1,2,3), c(4,5,6))</c> prints t = -3.6742, df = 4, p-value = 0.02131).
/// </summary>
public class HeldOutStatisticsTests
{
    [Theory]
    [InlineData(1, 1, 0.3, 0.3)]                // I_x(1, 1) = x
    [InlineData(3, 1, 0.5, 0.125)]              // I_x(a, 1) = x^a
    [InlineData(1, 3, 0.5, 0.875)]              // I_x(1, b) = 1 - (1 - x)^b
    [InlineData(2, 3, 0.4, 0.5248)]             // sum over j = 2..4 of C(4, j) x^j (1 - x)^(4 - j)
    [InlineData(7.5, 7.5, 0.5, 0.5)]            // symmetry: I_0.5(a, a) = 1/2
    [InlineData(2, 3, 0, 0)]
    [InlineData(2, 3, 1, 1)]
    public void Regularized_incomplete_beta_matches_its_closed_forms(double a, double b, double x, double expected) =>
        Assert.Equal(expected, WelchTest.RegularizedIncompleteBeta(a, b, x), 12);

    [Theory]
    [InlineData(1.0)]
    [InlineData(-2.5)]
    [InlineData(12.706204736)]
    public void Student_t_with_one_degree_of_freedom_is_the_Cauchy_distribution(double t) =>
        Assert.Equal(0.5 + Math.Atan(t) / Math.PI, WelchTest.StudentTCdf(t, 1), 12);

    [Theory]
    [InlineData(1.0)]
    [InlineData(-0.3)]
    [InlineData(4.302652730)]
    public void Student_t_with_two_degrees_of_freedom_matches_its_closed_form(double t) =>
        Assert.Equal(0.5 + t / (2 * Math.Sqrt(2 + t * t)), WelchTest.StudentTCdf(t, 2), 12);

    [Fact]
    public void Student_t_quantiles_from_tables_give_their_probabilities()
    {
        Assert.Equal(0.975, WelchTest.StudentTCdf(12.706204736, 1), 9);
        Assert.Equal(0.975, WelchTest.StudentTCdf(2.228138852, 10), 8);
        Assert.Equal(0.05, WelchTest.TwoSidedP(2.776445105, 4), 8);
        Assert.Equal(0.05, WelchTest.TwoSidedP(1.959963985, 1e7), 6);   // the normal limit
        Assert.Equal(1.0, WelchTest.TwoSidedP(0, 3), 12);
    }

    [Theory]
    [InlineData(1, 12.706)]
    [InlineData(4, 2.776)]
    [InlineData(9, 2.262)]
    [InlineData(30, 2.042)]
    public void Critical_t_for_a_95_percent_interval_matches_the_tables(double df, double expected) =>
        Assert.Equal(expected, WelchTest.CriticalT(0.05, df), 3);

    [Fact]
    public void The_95_percent_half_width_of_five_runs_is_2_776_standard_errors()
    {
        Assert.Equal(2.776445 * 0.0131 / Math.Sqrt(5), WelchTest.HalfWidth95(0.0131, 5), 6);
        Assert.True(double.IsNaN(WelchTest.HalfWidth95(0.0131, 1)));
    }

    [Fact]
    public void Welch_test_of_1_2_3_against_4_5_6_gives_t_minus_3_674_with_4_df_and_p_0_0213()
    {
        var r = WelchTest.Compare([1.0, 2, 3], [4.0, 5, 6]);
        Assert.Equal(-3.0 / Math.Sqrt(2.0 / 3), r.T, 12);
        Assert.Equal(4, r.DegreesOfFreedom, 12);
        // df = 4: F(t) = 1/2 + (3/8) u (1 - u^2/12 ... ) written out: p = 2 (1 - F(|t|)).
        double t = Math.Abs(r.T), u = t / Math.Sqrt(1 + t * t / 4), q = t * t / (1 + t * t / 4);
        double p = 2 * (0.5 - 0.375 * u * (1 - q / 12));
        Assert.Equal(p, r.PValue, 12);
        Assert.Equal(0.02131, r.PValue, 5);
    }

    [Fact]
    public void Welch_degrees_of_freedom_follow_Welch_Satterthwaite_for_unequal_variances()
    {
        // Means 2 and 5, variances 1 (n = 3) and 20/3 (n = 4): se^2 = 1/3 + 5/3 = 2, df = 4 / ((1/3)^2/2 + (5/3)^2/3).
        var r = WelchTest.Compare(2, 1, 3, 5, Math.Sqrt(20.0 / 3), 4);
        Assert.Equal(-3 / Math.Sqrt(2), r.T, 12);
        Assert.Equal(4 / (1.0 / 18 + 25.0 / 27), r.DegreesOfFreedom, 10);
        Assert.Equal(WelchTest.TwoSidedP(r.T, r.DegreesOfFreedom), r.PValue, 15);
        Assert.InRange(r.PValue, 0.05, 0.2);
    }

    [Fact]
    public void Welch_test_is_symmetric_and_undefined_without_spread_or_with_one_run()
    {
        var ab = WelchTest.Compare(0.8, 0.01, 5, 0.78, 0.02, 5);
        var ba = WelchTest.Compare(0.78, 0.02, 5, 0.8, 0.01, 5);
        Assert.Equal(ab.T, -ba.T, 12);
        Assert.Equal(ab.PValue, ba.PValue, 12);
        Assert.False(WelchTest.Compare(0.8, 0, 5, 0.7, 0, 5).Defined);
        Assert.False(WelchTest.Compare(0.8, 0.1, 1, 0.7, 0.1, 5).Defined);
        Assert.False(WelchTest.Compare(double.NaN, 0.1, 3, 0.7, 0.1, 5).Defined);
    }

    [Fact]
    public void Log_gamma_matches_factorials_and_the_gamma_of_one_half()
    {
        Assert.Equal(Math.Log(24), WelchTest.LogGamma(5), 12);
        Assert.Equal(Math.Log(362880), WelchTest.LogGamma(10), 11);
        Assert.Equal(0.5 * Math.Log(Math.PI), WelchTest.LogGamma(0.5), 12);
        Assert.Equal(0, WelchTest.LogGamma(1), 12);
    }
}
