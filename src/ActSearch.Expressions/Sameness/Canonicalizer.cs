namespace ActSearch.Expressions;

/// <summary>
/// The canonical form: constants folded, trivial identities removed (x + 0, x * 1, x * 0, x - x, x^1,
/// --x, ...), chains of commutative-associative primitives (add, mul, max, min) flattened and their
/// operands sorted, integer powers 2 and 3 written as square and cube, and equal subgraphs shared.
/// Rewrites repeat to a fixed point, so canonicalizing twice changes nothing.
/// Two formulas with the same canonical form compute the same function; the converse needs the
/// <see cref="Fingerprint"/>.
/// </summary>
public static class Canonicalizer
{
    private const int MaxPasses = 32;

    public static Expr Canonicalize(Expr expr, PrimitiveRegistry? registry = null)
    {
        var r = registry ?? PrimitiveRegistry.Default;
        var current = expr;
        for (int pass = 0; pass < MaxPasses; pass++)
        {
            var next = current.Rewrite(n => Simplify(n, r));
            if (next.Equals(current)) return next.Share();
            current = next;
        }
        return current.Share();
    }

    private static Expr Simplify(Expr node, PrimitiveRegistry r) => node switch
    {
        Unary u => SimplifyUnary(u, r),
        Binary b => SimplifyBinary(b, r),
        _ => node,
    };

    private static Expr SimplifyUnary(Unary u, PrimitiveRegistry r)
    {
        // A learned unit of a constant is a learnable number, not a constant.
        if (u.Arg is Constant c && u.Op.Unit is null) return new Constant(u.Op.Apply1!(c.Value));
        switch (u.Op.Name)
        {
            case "neg" when u.Arg is Unary { Op.Name: "neg" } inner:
                return inner.Arg;
            case "neg" when u.Arg is Binary { Op.Name: "sub" } s:
                return new Binary(s.Op, s.Right, s.Left); // -(a - b) = b - a
            case "abs" or "square" when u.Arg is Unary { Op.Name: "neg" } inner:
                return new Unary(u.Op, inner.Arg); // |-a| = |a|, (-a)^2 = a^2
            case "abs" or "relu" when u.Arg is Unary inner && inner.Op == u.Op:
                return inner; // idempotent
            case "abs" when u.Arg is Unary { Op.Name: "square" or "exp" or "sigmoid" or "gauss" or "softplus" or "relu" } nonNegative:
                return nonNegative;
            default:
                return u;
        }
    }

    private static Expr SimplifyBinary(Binary b, PrimitiveRegistry r)
    {
        var (left, right) = (b.Left, b.Right);
        if (left is Constant lc && right is Constant rc) return new Constant(b.Op.Apply2!(lc.Value, rc.Value));
        switch (b.Op.Name)
        {
            case "add":
            case "mul":
            case "max":
            case "min":
                return Chain(b, r);
            case "sub":
                if (IsConst(right, 0)) return left;
                if (IsConst(left, 0)) return new Unary(r.Get("neg"), right);
                if (left.Equals(right)) return new Constant(0);
                if (right is Unary { Op.Name: "neg" } nr) return new Binary(r.Get("add"), left, nr.Arg);
                if (right is Constant { Value: < 0 } neg) return new Binary(r.Get("add"), left, new Constant(-neg.Value));
                return b;
            case "div":
                if (IsConst(right, 1)) return left;
                if (IsConst(right, -1)) return new Unary(r.Get("neg"), left);
                return b;
            case "pow":
                if (right is Constant e)
                {
                    if (e.Value == 1) return left;
                    if (e.Value == 0) return new Constant(1);
                    if (e.Value == 2) return new Unary(r.Get("square"), left);
                    if (e.Value == 3) return new Unary(r.Get("cube"), left);
                }
                return b;
            default:
                return b;
        }
    }

    private static bool IsConst(Expr e, double value) => e is Constant c && c.Value == value;

    // Flattens a chain of one commutative-associative primitive, folds its constants, drops identities,
    // sorts the rest and rebuilds it left-deep.
    private static Expr Chain(Binary b, PrimitiveRegistry r)
    {
        var op = b.Op;
        var operands = new List<Expr>();
        var stack = new Stack<Expr>();
        stack.Push(b);
        while (stack.Count > 0)
        {
            var e = stack.Pop();
            if (e is Binary inner && ReferenceEquals(inner.Op, op))
            {
                stack.Push(inner.Right);
                stack.Push(inner.Left);
            }
            else operands.Add(e);
        }

        double? folded = null;
        bool negate = false;
        var rest = new List<Expr>();
        foreach (var e in operands)
        {
            if (e is Constant c) folded = folded is { } f ? op.Apply2!(f, c.Value) : c.Value;
            else if (op.Name == "mul" && e is Unary { Op.Name: "neg" } n)
            {
                negate = !negate; // pull signs out of products: (-a) * b = -(a * b)
                rest.Add(n.Arg);
            }
            else rest.Add(e);
        }
        if (op.Name is "max" or "min") rest = rest.Distinct().ToList(); // max(a, a) = a

        switch (op.Name)
        {
            case "add" when folded == 0:
            case "mul" when folded == 1:
                folded = null;
                break;
            case "mul" when folded == -1:
                folded = null;
                negate = !negate;
                break;
            case "mul" when folded == 0:
                return new Constant(0); // x * 0 = 0 (a trivial identity; NaN and Inf inputs aside)
        }
        if (negate && folded is { } fv)
        {
            folded = -fv;
            negate = false;
        }

        rest.Sort(ExprOrder.Instance);
        var ordered = new List<Expr>(rest.Count + 1);
        // Constants lead products ("0.5 * x") and close sums and extrema ("x + 1", "max(x, 0)").
        if (folded is { } k && op.Name == "mul") ordered.Add(new Constant(k));
        ordered.AddRange(rest);
        if (folded is { } k2 && op.Name != "mul") ordered.Add(new Constant(k2));

        Expr result = ordered.Count == 0 ? new Constant(op.Name == "mul" ? 1 : 0) : ordered[0];
        for (int i = 1; i < ordered.Count; i++) result = new Binary(op, result, ordered[i]);
        if (negate) result = new Unary(r.Get("neg"), result);
        return result.Equals(b) ? b : result;
    }
}
