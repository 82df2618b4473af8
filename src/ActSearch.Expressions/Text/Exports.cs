namespace ActSearch.Expressions;

/// <summary>The code formats an activation can be exported to (the API's <c>?format=</c> and `actsearch export`).</summary>
public enum ExportFormat
{
    /// <summary>A PyTorch <c>nn.Module</c> with one <c>nn.Parameter</c> per learnable constant.</summary>
    PyTorch,

    /// <summary>A TorchSharp <c>nn.Module&lt;Tensor, Tensor&gt;</c> in C#.</summary>
    TorchSharp,

    /// <summary>The formula typeset in LaTeX math mode.</summary>
    Latex,

    /// <summary>A runnable SymPy snippet defining <c>f</c> (see <see cref="SymPyPrinter"/>).</summary>
    SymPy,
}

/// <summary>One entry point for every export, so the HTTP API, the web UI and the CLI give the same code.</summary>
public static class Exports
{
    /// <summary>The formats by their lower-case names, in display order.</summary>
    public static IReadOnlyList<(string Name, ExportFormat Format)> Formats { get; } =
    [
        ("pytorch", ExportFormat.PyTorch),
        ("torchsharp", ExportFormat.TorchSharp),
        ("latex", ExportFormat.Latex),
        ("sympy", ExportFormat.SymPy),
    ];

    /// <summary>
    /// The code of <paramref name="expr"/> in <paramref name="format"/>. <paramref name="name"/> is the class
    /// name of module exports (a C#/Python identifier); LaTeX and SymPy ignore it.
    /// </summary>
    public static string Render(Expr expr, ExportFormat format, string name = "Activation")
    {
        ArgumentNullException.ThrowIfNull(expr);
        if (format is ExportFormat.PyTorch or ExportFormat.TorchSharp && !IsIdentifier(name))
            throw new ArgumentException($"'{name}' is not a valid class name.", nameof(name));
        return format switch
        {
            ExportFormat.PyTorch => ModulePrinter.PyTorch(expr, name),
            ExportFormat.TorchSharp => ModulePrinter.TorchSharp(expr, name),
            ExportFormat.Latex => LatexPrinter.Print(expr),
            ExportFormat.SymPy => SymPyPrinter.Print(expr),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown export format."),
        };
    }

    /// <summary>Reads a format name: pytorch, torchsharp, latex or sympy (any case; "torch" and "tex" too).</summary>
    public static bool TryParseFormat(string? text, out ExportFormat format)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "pytorch" or "torch" or "python":
                format = ExportFormat.PyTorch;
                return true;
            case "torchsharp" or "csharp" or "c#":
                format = ExportFormat.TorchSharp;
                return true;
            case "latex" or "tex":
                format = ExportFormat.Latex;
                return true;
            case "sympy":
                format = ExportFormat.SymPy;
                return true;
            default:
                format = default;
                return false;
        }
    }

    /// <summary>The canonical lower-case name of a format (as the API and the CLI spell it).</summary>
    public static string FormatName(ExportFormat format) => Formats.First(f => f.Format == format).Name;

    private static bool IsIdentifier(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
