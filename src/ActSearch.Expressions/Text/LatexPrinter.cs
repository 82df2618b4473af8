using System.Globalization;
using System.Text;

namespace ActSearch.Expressions;

/// <summary>Typesets a formula in LaTeX (math mode, without the surrounding dollars).</summary>
public static class LatexPrinter
{
    private const int UnaryLevel = 3, Atom = 5;

    private static readonly HashSet<string> Greek = new(StringComparer.Ordinal)
    {
        "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu",
        "nu", "xi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega",
    };

    public static string Print(Expr expr)
    {
        var sb = new StringBuilder();
        Write(sb, expr, 0);
        return sb.ToString();
    }

    /// <summary>A number in LaTeX: 0.5, 10^{-5}, 2.5 \times 10^{12}, \infty.</summary>
    public static string Number(double v)
    {
        if (double.IsNaN(v)) return @"\mathrm{NaN}";
        if (double.IsInfinity(v)) return v > 0 ? @"\infty" : @"-\infty";
        string s = TextPrinter.FormatNumber(v);
        int e = s.IndexOf('e');
        if (e < 0) return s;
        string mantissa = s[..e], exponent = s[(e + 1)..];
        return mantissa is "1" or "-1" ? $"{(mantissa == "-1" ? "-" : "")}10^{{{exponent}}}" : $@"{mantissa} \times 10^{{{exponent}}}";
    }

    /// <summary>A parameter name in LaTeX: beta -> \beta, v1 -> v_{1}.</summary>
    public static string Name(string name)
    {
        int digits = name.Length;
        while (digits > 0 && char.IsAsciiDigit(name[digits - 1])) digits--;
        string stem = name[..digits], index = name[digits..];
        stem = Greek.Contains(stem) ? "\\" + stem : stem.Length == 1 ? stem : $@"\mathrm{{{stem.Replace("_", @"\_", StringComparison.Ordinal)}}}";
        return index.Length > 0 && digits > 0 ? $"{stem}_{{{index}}}" : index.Length > 0 ? index : stem;
    }

    private static void Write(StringBuilder sb, Expr e, int min)
    {
        int p = e is Binary { Op.Name: "div" } ? Atom : TextPrinter.PrecedenceOf(e);
        bool paren = p < min;
        if (paren) sb.Append(@"\left(");
        switch (e)
        {
            case Variable:
                sb.Append('x');
                break;
            case Constant c:
                sb.Append(Number(c.Value));
                break;
            case Parameter prm:
                sb.Append(Name(prm.Name));
                break;
            case Unary { Op.Name: "neg" } u:
                sb.Append('-');
                Write(sb, u.Arg, u.Arg is Constant ? Atom + 1 : UnaryLevel);
                break;
            case Binary { Op.Name: "div" } d:
                sb.Append(@"\frac{");
                Write(sb, d.Left, 0);
                sb.Append("}{");
                Write(sb, d.Right, 0);
                sb.Append('}');
                break;
            case Binary { Op.Symbol: not null } b:
                int prec = b.Op.Precedence;
                if (b.Op.RightAssociative)
                {
                    Write(sb, b.Left, Atom);
                    sb.Append("^{");
                    Write(sb, b.Right, 0);
                    sb.Append('}');
                }
                else
                {
                    Write(sb, b.Left, prec);
                    sb.Append(' ').Append(b.Op.Name == "mul" ? @"\cdot" : b.Op.Symbol).Append(' ');
                    Write(sb, b.Right, prec + 1);
                }
                break;
            case Unary u:
                sb.Append(Template(u.Op, [Operand(u.Arg, u.Op)]));
                break;
            case Binary b:
                sb.Append(Template(b.Op, [Operand(b.Left, b.Op), Operand(b.Right, b.Op)]));
                break;
            case Aggregate a:
                sb.Append(Template(a.Op, [Operand(a.Arg, a.Op)]));
                if (a.Op.Axes == AggregateAxes.Group) sb.Append("_{g=").Append(a.Groups.ToString(CultureInfo.InvariantCulture)).Append('}');
                break;
        }
        if (paren) sb.Append(@"\right)");
    }

    private static string Operand(Expr e, Primitive op)
    {
        var sb = new StringBuilder();
        Write(sb, e, op.LatexDelimitsOperands ? 0 : Atom);
        return sb.ToString();
    }

    private static string Template(Primitive op, string[] args) => Primitive.Fill(op.Latex, args);
}
