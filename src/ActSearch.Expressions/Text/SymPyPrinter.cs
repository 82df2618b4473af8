using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ActSearch.Expressions;

/// <summary>
/// Writes a formula as a runnable SymPy snippet: symbols for <c>x</c> and each learnable parameter, then
/// <c>f = ...</c> built from each primitive's <see cref="Primitive.SymPy"/> template, and
/// <c>parameters = {symbol: initial value}</c>. Per-channel parameters become one scalar symbol (the value
/// of one channel). Tensor statistics of layers (<c>batch_var</c>, <c>group_std</c>, ...) have no closed form
/// in x alone, so they become undefined SymPy functions of the same name, declared at the top with their
/// meaning; group statistics take the group count as a second argument. Learned units are written out at their initial
/// coefficients (a rational function with <c>sympy.Abs</c>; a spline through <c>sympy.bspline_basis_set</c>).
/// Evaluate a scalar export with <c>sympy.lambdify([x, *parameters], f)</c>, or <c>f.subs(parameters)</c>.
/// </summary>
public static partial class SymPyPrinter
{
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal) { "x", "f", "sympy", "parameters" };

    public static string Print(Expr expr)
    {
        var parameters = expr.Parameters();
        var aggregates = expr.Nodes().OfType<Aggregate>().Select(a => a.Op).Distinct().OrderBy(op => op.Name, StringComparer.Ordinal).ToList();
        var reserved = new HashSet<string>(Reserved, StringComparer.Ordinal);
        reserved.UnionWith(aggregates.Select(op => op.Name));
        var names = PythonNames.Assign(parameters, reserved);

        var sb = new StringBuilder();
        sb.AppendLine($"# f(x) = {expr}");
        sb.AppendLine("import sympy");
        sb.AppendLine();
        sb.AppendLine("x = sympy.Symbol(\"x\", real=True)");
        foreach (var p in parameters)
        {
            string shape = p.Shape == ParameterShape.PerChannel ? "learnable, one value per channel" : "learnable";
            sb.AppendLine($"{names[p.Name]} = sympy.Symbol(\"{p.Name}\", real=True)  # {shape}, initial value {TextPrinter.FormatNumber(p.Initial)}");
        }
        if (aggregates.Count > 0)
        {
            sb.AppendLine("# Statistics of the layer's NCHW input tensor, broadcast back to every element (no closed form in x):");
            foreach (var op in aggregates)
                sb.AppendLine($"{op.Name} = sympy.Function(\"{op.Name}\")  # {op.Description}{(op.Axes == AggregateAxes.Group ? "; second argument: the number of groups" : "")}");
        }
        sb.AppendLine();
        sb.AppendLine($"f = {Write(expr, names, wrapConstants: expr is Constant)}");
        sb.AppendLine("parameters = {" + string.Join(", ", parameters.Select(p => $"{names[p.Name]}: {ModulePrinter.PyNumber(p.Initial)}")) + "}");
        return sb.ToString();
    }

    // Python binding strengths of the printed text: an operand is bracketed when it binds less tightly than
    // its slot needs. Templates other than calls and infix operators ("1/(1 + sympy.exp(-({0})))") count as
    // Loose: bracketed wherever they are an operand of an operator.
    private const int Loose = 0, Sum = 1, Product = 2, Negation = 3, Power = 4, Atom = 5;

    // The text of a node and its binding strength.
    private static (string Text, int Precedence) Node(Expr e, Dictionary<string, string> names, bool wrapConstants)
    {
        switch (e)
        {
            case Variable:
                return ("x", Atom);
            case Parameter p:
                return (names[p.Name], Atom);
            case Constant c:
                return Number(c.Value, wrapConstants);
            case Unary u:
                return Fill(u.Op, [u.Arg], names);
            case Binary b:
                return Fill(b.Op, [b.Left, b.Right], names);
            case Aggregate a:
                string arg = Node(a.Arg, names, ConstantOnly(a.Arg)).Text;
                return (a.Op.Axes == AggregateAxes.Group
                    ? $"{a.Op.Name}({arg}, {a.Groups.ToString(CultureInfo.InvariantCulture)})"
                    : $"{a.Op.Name}({arg})", Atom);
            default:
                throw new InvalidOperationException($"Unknown node {e.GetType().Name}.");
        }
    }

    private static string Write(Expr e, Dictionary<string, string> names, bool wrapConstants) => Node(e, names, wrapConstants).Text;

    private static (string, int) Fill(Primitive op, Expr[] operands, Dictionary<string, string> names)
    {
        string template = op.SymPy;
        bool call = IsCall(template);
        // Python would do the arithmetic itself when every operand is a plain number (2/3 -> 0.666..., 1/0 ->
        // ZeroDivisionError); SymPy numbers keep such constant parts exact.
        bool wrap = operands.All(ConstantOnly) && !call;
        var texts = new string[operands.Length];
        for (int i = 0; i < operands.Length; i++)
        {
            var (text, precedence) = Node(operands[i], names, wrap);
            int needed = call || Delimited(template, i) ? Loose
                : op.Symbol is not null ? (op.RightAssociative ? (i == 0 ? Atom : Negation) : op.Precedence + i)
                : op.Name == "neg" ? Power
                : Atom;
            texts[i] = precedence >= needed ? text : $"({text})";
        }
        int result = call ? Atom : op.Symbol is not null ? op.Precedence : op.Name == "neg" ? Negation : Loose;
        return (Primitive.Fill(template, texts), result);
    }

    // True when every use of operand i in the template sits alone between brackets or commas.
    private static bool Delimited(string template, int i)
    {
        string slot = "{" + i.ToString(CultureInfo.InvariantCulture) + "}";
        bool any = false;
        for (int at = template.IndexOf(slot, StringComparison.Ordinal); at >= 0; at = template.IndexOf(slot, at + 1, StringComparison.Ordinal))
        {
            any = true;
            string before = template[..at], after = template[(at + slot.Length)..];
            if (!(before.EndsWith('(') || before.EndsWith(", ", StringComparison.Ordinal)) || !(after.StartsWith(')') || after.StartsWith(',')))
                return false;
        }
        return any;
    }

    private static bool ConstantOnly(Expr e) => !e.ContainsInput && !e.ContainsParameters;

    private static (string, int) Number(double v, bool wrap)
    {
        if (double.IsNaN(v)) return ("sympy.nan", Atom);
        if (double.IsInfinity(v)) return v > 0 ? ("sympy.oo", Atom) : ("-sympy.oo", Negation);
        string text = TextPrinter.FormatNumber(v);
        bool integer = Math.Abs(v) < 1e15 && v == Math.Floor(v);
        if (integer) text = ((long)v).ToString(CultureInfo.InvariantCulture);
        if (wrap) return (integer ? $"sympy.Integer({text})" : $"sympy.Float({text})", Atom);
        return (text, v >= 0 ? Atom : Negation);
    }

    // A template that is one call around its operands, as "sympy.exp({0})": operands need no brackets.
    private static bool IsCall(string template) => CallTemplate().IsMatch(template);

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_.]*\(\{0\}(, \{1\})?\)$")]
    private static partial Regex CallTemplate();
}
