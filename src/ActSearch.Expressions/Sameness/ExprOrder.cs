namespace ActSearch.Expressions;

/// <summary>
/// A total structural order on expressions (parameters, then x, then constants, before calls, then by name, value and operands).
/// The canonical form sorts the operands of commutative primitives with it.
/// </summary>
public sealed class ExprOrder : IComparer<Expr>
{
    public static ExprOrder Instance { get; } = new();

    private static int Rank(Expr e) => e switch
    {
        Parameter => 0, // coefficients first: "beta * x"
        Variable => 1,
        Constant => 2,
        Unary => 3,
        Binary => 4,
        Aggregate => 5,
        _ => 6,
    };

    public int Compare(Expr? a, Expr? b)
    {
        if (ReferenceEquals(a, b)) return 0;
        if (a is null) return -1;
        if (b is null) return 1;
        int c = Rank(a).CompareTo(Rank(b));
        if (c != 0) return c;
        switch (a)
        {
            case Constant ca:
                return ca.Value.CompareTo(((Constant)b).Value);
            case Parameter pa:
            {
                var pb = (Parameter)b;
                c = string.CompareOrdinal(pa.Name, pb.Name);
                if (c != 0) return c;
                c = pa.Initial.CompareTo(pb.Initial);
                return c != 0 ? c : pa.Shape.CompareTo(pb.Shape);
            }
            case Unary ua:
            {
                var ub = (Unary)b;
                c = string.CompareOrdinal(ua.Op.Name, ub.Op.Name);
                return c != 0 ? c : Compare(ua.Arg, ub.Arg);
            }
            case Binary ba:
            {
                var bb = (Binary)b;
                c = string.CompareOrdinal(ba.Op.Name, bb.Op.Name);
                if (c != 0) return c;
                c = Compare(ba.Left, bb.Left);
                return c != 0 ? c : Compare(ba.Right, bb.Right);
            }
            case Aggregate ga:
            {
                var gb = (Aggregate)b;
                c = string.CompareOrdinal(ga.Op.Name, gb.Op.Name);
                if (c != 0) return c;
                c = ga.Groups.CompareTo(gb.Groups);
                return c != 0 ? c : Compare(ga.Arg, gb.Arg);
            }
            default:
                return 0;
        }
    }
}
