namespace ActSearch.Expressions;

/// <summary>
/// Named activations written with the built-in primitives: what a learned unit's <c>init=</c> fits (PAU starts from leaky
/// ReLU) and the formulas of the baseline table. One declaration each, so a baseline and an initialization by the same
/// name are the same function.
/// </summary>
public static class KnownFunctions
{
    private static readonly Dictionary<string, string> Formulas = new(StringComparer.Ordinal)
    {
        ["identity"] = "x",
        ["relu"] = "relu(x)",
        ["leaky_relu"] = "max(x, 0.01 * x)",
        // exp of min(x, 0) rather than min(exp(x) - 1, 0): no overflow, so no 0 * Inf in the backward pass.
        ["elu"] = "max(x, 0) + exp(min(x, 0)) - 1",
        ["selu"] = "1.0507009873554805 * (max(x, 0) + 1.6732632423543772 * (exp(min(x, 0)) - 1))",
        ["gelu"] = "0.5 * x * (1 + erf(0.7071067811865476 * x))",
        ["silu"] = "x * sigmoid(x)",
        ["mish"] = "x * tanh(softplus(x))",
        ["tanh"] = "tanh(x)",
        ["sigmoid"] = "sigmoid(x)",
        ["softplus"] = "softplus(x)",
        // x * exp(-exp(-x)), with x held at -5 inside the Gompertz function: below it the factor is below exp(-148), 0 in
        // float32 either way, and exp(-x) no longer overflows into a 0 * Inf in the backward pass.
        ["golu"] = "x * exp(-exp(-max(x, -5)))",
    };

    /// <summary>The names, sorted.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Formulas.Keys.Order(StringComparer.Ordinal)];

    /// <summary>The formula text of <paramref name="name"/>; <see cref="KeyNotFoundException"/> names the known ones.</summary>
    public static string Formula(string name) => Formulas.TryGetValue(name, out var f) ? f
        : throw new KeyNotFoundException($"unknown function '{name}'; known: {string.Join(", ", Names)}.");

    public static bool Contains(string name) => Formulas.ContainsKey(name);
}
