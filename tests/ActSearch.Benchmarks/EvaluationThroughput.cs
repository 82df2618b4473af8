using System.Diagnostics;
using System.Text.Json;
using ActSearch.Expressions;

namespace ActSearch.Benchmarks;

/// <summary>
/// Node·row evaluations per second on one core on the fingerprint path: random GP trees (the shapes a
/// search produces) evaluated on the fingerprint's probe points. Reported with and without compiling.
/// </summary>
public static class EvaluationThroughput
{
    public static void Run(double seconds)
    {
        var rng = new Random(42);
        var unary = PrimitiveRegistry.Default.Unary.Where(p => p.Name is not ("erf" or "softplus" or "slog" or "ssqrt")).ToArray();
        var binary = PrimitiveRegistry.Default.Binary.Where(p => p.Name is "add" or "sub" or "mul" or "div" or "max" or "min").ToArray();
        Expr Grow(int depth) =>
            depth <= 1 || rng.NextDouble() < 0.2 ? (rng.Next(3) == 0 ? new Constant(Math.Round(rng.NextDouble() * 4 - 2, 2)) : Expr.X)
            : rng.NextDouble() < 0.35 ? new Unary(unary[rng.Next(unary.Length)], Grow(depth - 1))
            : new Binary(binary[rng.Next(binary.Length)], Grow(depth - 1), Grow(depth - 1));
        // Count only work really done: trees that depend on x, by the instructions executed per row
        // (constant subtrees fold away at compile time and are not counted).
        var trees = Enumerable.Range(0, 4000).Select(_ => Grow(7)).Where(t => t.Size >= 5 && !CompiledExpr.Compile(t).IsConstant).Take(2000).ToArray();
        var compiled = trees.Select(CompiledExpr.Compile).ToArray();
        double avgNodes = compiled.Average(c => (double)c.InstructionCount);

        foreach (int rows in new[] { 111, 1024 })
        {
            var xs = rows == 111 ? Fingerprint.ScalarProbe.ToArray() : Enumerable.Range(0, rows).Select(i => -5 + 10.0 * i / rows).ToArray();
            var y = new double[rows];
            var ws = new EvalWorkspace();
            // Eval only.
            long nodeRows = 0;
            var sw = Stopwatch.StartNew();
            for (int i = 0; sw.Elapsed.TotalSeconds < seconds; i++)
            {
                var c = compiled[i % compiled.Length];
                c.Evaluate(xs, y, default, ws);
                nodeRows += (long)compiled[i % compiled.Length].InstructionCount * rows;
            }
            double evalOnly = nodeRows / sw.Elapsed.TotalSeconds;
            // Compile + eval (what a new candidate costs).
            nodeRows = 0;
            sw.Restart();
            for (int i = 0; sw.Elapsed.TotalSeconds < seconds; i++)
            {
                CompiledExpr.Compile(trees[i % trees.Length]).Evaluate(xs, y, default, ws);
                nodeRows += (long)compiled[i % compiled.Length].InstructionCount * rows;
            }
            double withCompile = nodeRows / sw.Elapsed.TotalSeconds;
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                benchmark = "eval",
                rows,
                average_instructions_per_row = Math.Round(avgNodes, 1),
                node_rows_per_second_eval_only = Math.Round(evalOnly / 1e6, 1) + "M",
                node_rows_per_second_with_compile = Math.Round(withCompile / 1e6, 1) + "M",
                goal = "150M per core",
            }));
        }
    }
}
