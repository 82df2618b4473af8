using System.Globalization;
using System.Text;

namespace ActSearch.Expressions;

/// <summary>
/// Prints the infix text form with the fewest parentheses that read back to the same graph
/// (<see cref="ExprParser"/>). Shared subgraphs are written out at each use.
/// </summary>
public static class TextPrinter
{
    private const int UnaryLevel = 3, PowerLevel = 4, Atom = 5;

    public static string Print(Expr expr, ParameterShape defaultShape = ParameterShape.Scalar)
    {
        var sb = new StringBuilder();
        Write(sb, expr, 0, defaultShape);
        return sb.ToString();
    }

    /// <summary>
    /// The text people see of a genome: its canonical form (<see cref="Canonicalizer"/>), so that dead parts a search
    /// leaves in (<c>erf(x) - 0</c>, <c>sin(sqrt(0.99))</c>) do not show and the text's size matches its complexity.
    /// </summary>
    public static string PrintCanonical(Expr expr, ParameterShape defaultShape = ParameterShape.Scalar) =>
        Print(Canonicalizer.Canonicalize(expr), defaultShape);

    /// <summary>Shortest text that parses back to exactly <paramref name="value"/>.</summary>
    public static string FormatNumber(double value)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsPositiveInfinity(value)) return "inf";
        if (double.IsNegativeInfinity(value)) return "-inf";
        string s = value.ToString("R", CultureInfo.InvariantCulture);
        int e = s.IndexOf('E');
        if (e < 0) return s;
        // "1E-05" -> "1e-5"
        string mantissa = s[..e], exponent = s[(e + 1)..];
        bool negative = exponent.StartsWith('-');
        exponent = exponent.TrimStart('+', '-').TrimStart('0');
        return $"{mantissa}e{(negative ? "-" : "")}{(exponent.Length == 0 ? "0" : exponent)}";
    }

    internal static int PrecedenceOf(Expr e) => e switch
    {
        Binary { Op.Symbol: not null } b => b.Op.Precedence,
        Unary u when u.Op.Name == "neg" => UnaryLevel,
        Constant c when c.Value < 0 => UnaryLevel,
        _ => Atom,
    };

    private static void Write(StringBuilder sb, Expr e, int minPrecedence, ParameterShape defaultShape)
    {
        int p = PrecedenceOf(e);
        bool paren = p < minPrecedence;
        if (paren) sb.Append('(');
        switch (e)
        {
            case Variable:
                sb.Append('x');
                break;
            case Constant c:
                sb.Append(c.Value == 0 ? "0" : FormatNumber(c.Value));
                break;
            case Parameter prm:
                sb.Append(prm.Name);
                bool init = !prm.Initial.Equals(1.0), shape = prm.Shape != defaultShape;
                if (init || shape)
                {
                    sb.Append('{');
                    if (init) sb.Append(FormatNumber(prm.Initial));
                    if (init && shape) sb.Append(", ");
                    if (shape) sb.Append(prm.Shape == ParameterShape.PerChannel ? "channel" : "scalar");
                    sb.Append('}');
                }
                break;
            case Unary { Op.Name: "neg" } u:
                sb.Append('-');
                // A constant operand is bracketed, or "-2" would read back as the constant -2.
                Write(sb, u.Arg, u.Arg is Constant ? Atom + 1 : UnaryLevel, defaultShape);
                break;
            case Unary u:
                sb.Append(u.Op.Name).Append('(');
                Write(sb, u.Arg, 0, defaultShape);
                sb.Append(')');
                break;
            case Binary { Op.Symbol: { } symbol } b:
                int prec = b.Op.Precedence;
                // Left-associative: the right operand of the same level is bracketed; ^ the other way round.
                // The base of ^ is an atom; its exponent may carry a unary minus (x^-2).
                int leftMin = b.Op.RightAssociative ? prec + 1 : prec;
                int rightMin = b.Op.RightAssociative ? UnaryLevel : prec + 1;
                Write(sb, b.Left, leftMin, defaultShape);
                sb.Append(prec == PowerLevel ? symbol : $" {symbol} ");
                Write(sb, b.Right, rightMin, defaultShape);
                break;
            case Binary b:
                sb.Append(b.Op.Name).Append('(');
                Write(sb, b.Left, 0, defaultShape);
                sb.Append(", ");
                Write(sb, b.Right, 0, defaultShape);
                sb.Append(')');
                break;
            case Aggregate a:
                sb.Append(a.Op.Name).Append('(');
                Write(sb, a.Arg, 0, defaultShape);
                if (a.Op.Axes == AggregateAxes.Group) sb.Append(", ").Append(a.Groups.ToString(CultureInfo.InvariantCulture));
                sb.Append(')');
                break;
            default:
                throw new InvalidOperationException($"Unknown node {e.GetType().Name}.");
        }
        if (paren) sb.Append(')');
    }
}
