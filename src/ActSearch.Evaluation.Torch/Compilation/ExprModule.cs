using ActSearch.Expressions;
using TorchSharp;
using TorchSharp.Modules;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace ActSearch.Evaluation.Torch.Compilation;

/// <summary>Options for compiling an expression graph into a module.</summary>
public sealed record ExprCompileOptions
{
    /// <summary>
    /// Channels (C) of the inputs the module will see. Needed when the graph has per-channel parameters or
    /// batch statistics (their running averages are per channel); 0 = unknown (scalar activations only).
    /// </summary>
    public int Channels { get; init; }

    /// <summary>Weight of the newest batch in the running statistics of batch aggregates (BatchNorm's momentum).</summary>
    public double Momentum { get; init; } = 0.1;

    /// <summary>
    /// Rewrite <c>x * sigmoid(x)</c> into TorchSharp's fused SiLU kernel (the same function; one pass instead of two).
    /// Off by default so the module computes exactly what the graph says, node by node.
    /// </summary>
    public bool FuseKnownPatterns { get; init; }

    /// <summary>
    /// Whether a scalar activation (no statistics) runs as one fused op (<see cref="FusedProgram"/>: one pass forward that
    /// also takes the derivatives backward needs, and a backward that multiplies them by the gradient) on CPU tensors;
    /// null: <see cref="DefaultFusion"/>.
    /// </summary>
    public Fusion? Fusion { get; init; }

    /// <summary>
    /// The process's fusion setting for modules compiled without one (ACTSEARCH_FUSION, applied at start-up); Auto unless
    /// set. Read when a module is compiled. (Here and not on the module, so that setting it loads no libtorch.)
    /// </summary>
    public static Fusion DefaultFusion { get; set; } = Compilation.Fusion.Auto;
}

/// <summary>When <see cref="ExprModule"/> runs a scalar activation as one fused op instead of the op chain.</summary>
public enum Fusion
{
    /// <summary>
    /// Where it is measured faster: float32 CPU tensors, on hardware with AVX-512 (<see cref="FusedFloatKernels"/>), for
    /// inputs of <see cref="ExprModule.AutoFusionMinElements"/> elements or more, and for graphs of
    /// <see cref="ExprModule.AutoFusionMinOps"/> element-wise operations or more at any size. Measured with the generated
    /// loops (tests/ActSearch.Benchmarks, <c>fused</c>, two runs), fused against the chain's step time: on fmnist-cnn tanh
    /// 0.84x, <c>x * sigmoid(x)</c> 0.92x, five operations 0.61x, ten 0.57-0.58x; on deep-mlp's small tensors tanh 1.14x,
    /// x * sigmoid(x) 1.07-1.13x, five 0.79-0.80x, ten 0.65-0.67x.
    /// </summary>
    Auto,

    /// <summary>Every graph without statistics, on CPU float32 and float64 tensors (the exactness checks use this).</summary>
    On,

    /// <summary>The op chain always.</summary>
    Off,
}

/// <summary>
/// An expression graph compiled into a TorchSharp module that applies it element-wise (and, for aggregates,
/// over the NCHW or NC axes) to its input. Learnable parameters are registered under their expression names:
/// a scalar parameter is a 0-dimensional tensor, a per-channel one holds C values broadcast as (1, C, 1, 1)
/// on NCHW inputs and (1, C) on NC inputs; both start at <see cref="Expressions.Parameter.Initial"/>. A learned unit
/// (<c>rational{5,4}</c>, <c>spline{3,8}</c>) registers one coefficient tensor under its name in the graph
/// (<see cref="ExprGraph.LearnedUnits"/>: <c>rational0</c>, ...), [count] or [groups, count], at its initial coefficients.
/// <para>
/// Semantics follow the CPU evaluator (<see cref="CompiledExpr"/>) primitive by primitive: out-of-domain inputs
/// give NaN or ±Inf, never an exception; constant subgraphs are folded with the CPU kernels; variances are
/// biased. Batch aggregates keep running averages (updated in training mode with <see cref="ExprCompileOptions.Momentum"/>,
/// as BatchNorm does, from the biased batch statistic) and use them in eval mode, as EvoNorm-B0 does at inference.
/// </para>
/// </summary>
public sealed class ExprModule : nn.Module<Tensor, Tensor>
{
    private readonly Instruction[] _code;
    // Names only: Module.to(...) replaces registered tensors, so they are looked up at each use.
    private readonly Dictionary<int, string> _runningNames = [];
    private readonly double _momentum;
    private readonly FusedProgram? _fused;
    private readonly Fusion _fusion;


    /// <summary>
    /// Element-wise operations from which <see cref="Fusion.Auto"/> fuses inputs of any size (on small tensors, deep-mlp's
    /// 4,096 elements, the measured break-even is between 2 and 5: the autograd function's fixed cost per call weighs there).
    /// </summary>
    public const int AutoFusionMinOps = 4;

    /// <summary>
    /// Elements from which <see cref="Fusion.Auto"/> fuses every graph, one operation included: on fmnist-cnn's 401,408 and
    /// 1,605,632-element slots the generated loops are faster than the chain at any size (tanh alone 1.19x ReLU's step
    /// against 1.40-1.42x, <c>x * sigmoid(x)</c> 1.18x against 1.28x); the fixed cost per call is about 10-30 microseconds.
    /// </summary>
    public const int AutoFusionMinElements = 65_536;

    private ExprModule(Expr expr, ExprCompileOptions options) : base("ExprModule")
    {
        Expr = expr;
        Channels = options.Channels;
        _momentum = options.Momentum;
        _code = Lower(expr, options);
        _fusion = options.Fusion ?? ExprCompileOptions.DefaultFusion;
        _fused = _fusion == Fusion.Off ? null : FusedProgram.TryCompile(expr);
        if (_fusion == Fusion.Auto && !FusedFloatKernels.Enabled) _fused = null;

        foreach (var p in expr.Parameters())
        {
            Tensor init = p.Shape == ParameterShape.PerChannel
                ? full([RequireChannels(p.Name)], p.Initial, ScalarType.Float32)
                : tensor((float)p.Initial);
            register_parameter(p.Name, new Parameter(init, requires_grad: true));
        }
        foreach (var unit in expr.LearnedUnits())
        {
            if (unit.Unit.Groups > 1 && RequireChannels(unit.Node.Op.Name) % unit.Unit.Groups != 0)
                throw new ArgumentException($"'{unit.Node.Op.Name}' has {unit.Unit.Groups} groups; this layer's {Channels} channels do not divide into them.");
            register_parameter(unit.Name, new Parameter(LearnedUnitOps.Initial(unit.Unit), requires_grad: true));
        }
        for (int i = 0; i < _code.Length; i++)
        {
            if (_code[i] is not { Kind: Kind.Aggregate, Op.Axes: AggregateAxes.Batch } ins) continue;
            int c = RequireChannels(ins.Op.Name);
            // Neutral starting points: mean 0, and 1 for the spread statistics (BatchNorm's running_var starts at 1).
            var buffer = ins.Op.Statistic == Statistic.Mean ? zeros(c) : ones(c);
            _runningNames[i] = $"running_{i}_{ins.Op.Name}";
            register_buffer(_runningNames[i], buffer);
        }
        RegisterComponents();
    }

    /// <summary>Compiles <paramref name="expr"/>; throws <see cref="ArgumentException"/> when the graph cannot run on these inputs.</summary>
    public static ExprModule Compile(Expr expr, ExprCompileOptions? options = null) => new(expr, options ?? new ExprCompileOptions());

    /// <summary>True when <see cref="forward"/> can run the fused op (on CPU float tensors; <see cref="Fuses"/> says for which).</summary>
    public bool IsFused => _fused is not null;

    /// <summary>
    /// Whether <see cref="forward"/> runs the fused op on an input of this many elements, type and device: on CPU, float32
    /// and (with <see cref="Fusion.On"/>) float64; under <see cref="Fusion.Auto"/> float32 only, from
    /// <see cref="AutoFusionMinElements"/> elements, or at any size for graphs of <see cref="AutoFusionMinOps"/> operations.
    /// </summary>
    public bool Fuses(long elements, ScalarType type, DeviceType device) =>
        _fused is not null && device == DeviceType.CPU && type switch
        {
            ScalarType.Float32 => _fusion == Fusion.On || _fused.ElementOps >= AutoFusionMinOps || elements >= AutoFusionMinElements,
            ScalarType.Float64 => _fusion == Fusion.On,
            _ => false,
        };

    /// <summary>The graph this module computes.</summary>
    public Expr Expr { get; }

    /// <summary>Channels the module was built for (0 when it does not depend on them).</summary>
    public int Channels { get; }

    /// <summary>The learnable parameter named <paramref name="name"/> in the expression.</summary>
    public Parameter ParameterOf(string name) =>
        get_parameter(name) ?? throw new KeyNotFoundException($"The expression has no parameter '{name}'.");

    private int RequireChannels(string what) => Channels > 0 ? Channels
        : throw new ArgumentException($"'{what}' is per channel: compile with ExprCompileOptions.Channels set.");

    public override Tensor forward(Tensor x)
    {
        if (x.dim() < 2) throw new ArgumentException($"Expected an NC or NCHW input, got shape ({string.Join(", ", x.shape)}).", nameof(x));
        if (Channels > 0 && x.shape[1] != Channels)
            throw new ArgumentException($"This module was compiled for {Channels} channels; the input has {x.shape[1]}.", nameof(x));
        // Our kernels read and write host memory, so the fused op runs on CPU tensors only; on CUDA the op chain's kernels
        // are the fast path (libtorch fuses nothing there either, but each op runs on the device). Layers with batch, instance
        // or group statistics are not element-wise and have no fused program.
        if (Fuses(x.numel(), x.dtype, x.device_type))
            return FusedFunction.Apply(_fused!, x, [.. _fused!.Parameters.Select(p => (Tensor)ParameterOf(p.Name))]);
        var values = new Tensor?[_code.Length];
        for (int i = 0; i < _code.Length; i++)
        {
            var ins = _code[i];
            values[i] = ins.Kind switch
            {
                Kind.Input => x,
                Kind.Constant => null, // read as a number by its users
                Kind.Parameter => Broadcastable(ParameterOf(ins.Name!), x),
                Kind.Unary => TorchPrimitives.Unary(ins.Op!.Name, Operand(values, ins.A, x)),
                Kind.Learned => Learned(ins, Operand(values, ins.A, x), x),
                Kind.Binary => Binary(ins, values, x),
                Kind.Aggregate => Aggregate(i, ins, Field(Operand(values, ins.A, x), x)),
                Kind.Silu => nn.functional.silu(Operand(values, ins.A, x)),
                _ => throw new InvalidOperationException($"Unknown instruction {ins.Kind}."),
            };
        }
        var last = _code[^1];
        var result = last.Kind == Kind.Constant ? full_like(x, last.Value) : values[^1]!;
        // The identity returns a new handle, as nn.Identity does: Sequential disposes the intermediate it was given.
        if (ReferenceEquals(result, x)) return x.alias();
        // A graph that ignores x (a parameter, say) still returns one value per input element.
        return result.shape.SequenceEqual(x.shape) ? result : result.expand_as(x);
    }

    private Tensor Binary(Instruction ins, Tensor?[] values, Tensor x)
    {
        var a = _code[ins.A];
        var b = _code[ins.B];
        if (b.Kind == Kind.Constant && TorchPrimitives.TryScalarRight(ins.Op!.Name, values[ins.A]!, b.Value, out var r1)) return r1;
        if (a.Kind == Kind.Constant && TorchPrimitives.TryScalarLeft(ins.Op!.Name, a.Value, values[ins.B]!, out var r2)) return r2;
        return TorchPrimitives.Binary(ins.Op!.Name, Operand(values, ins.A, x), Operand(values, ins.B, x));
    }

    private Tensor Learned(Instruction ins, Tensor operand, Tensor x)
    {
        var unit = ins.Op!.Unit!;
        // Grouped coefficients spread over the channels, so a unit of a constant or a scalar is first broadcast to x.
        if (unit.Groups > 1 && !operand.shape.SequenceEqual(x.shape)) operand = operand.expand_as(x);
        // On CPU the unit is one op unless fusion is off: its op chain is 20 to 60 element-wise ops. Measured on fmnist-cnn,
        // PAU 5/4 trains in 21 s fused against 47 s as a chain, the KAN spline in 41 s against 142 s (relu: 8 s).
        if (_fusion != Fusion.Off && operand.device_type == DeviceType.CPU && operand.dtype is ScalarType.Float32 or ScalarType.Float64)
            return FusedLearnedUnit.Apply(unit, operand, ParameterOf(ins.Name!));
        return LearnedUnitOps.Apply(unit, operand, ParameterOf(ins.Name!));
    }

    /// <summary>
    /// The operand of a statistic as a tensor of x's shape: a constant or a parameter is a field of equal values, as the
    /// CPU evaluator sees it (a 0-dimensional tensor has no axes to reduce).
    /// </summary>
    private static Tensor Field(Tensor operand, Tensor x) => operand.shape.SequenceEqual(x.shape) ? operand : operand.expand_as(x);

    private Tensor Operand(Tensor?[] values, int id, Tensor x) =>
        values[id] ?? tensor(_code[id].Value, x.dtype, x.device);

    private static Tensor Broadcastable(Tensor p, Tensor x)
    {
        if (p.dim() == 0) return p;
        var shape = new long[x.dim()];
        Array.Fill(shape, 1L);
        shape[1] = p.shape[0];
        return p.view(shape);
    }

    private Tensor Aggregate(int id, Instruction ins, Tensor input)
    {
        var op = ins.Op!;
        bool batch = op.Axes == AggregateAxes.Batch;
        if (batch && !training && RunningOf(id) is { } stored)
            return Broadcastable(stored, input).to(input.dtype).expand_as(input);
        var stat = TorchPrimitives.Aggregate(op.Statistic, op.Axes, input, ins.Groups);
        if (batch && training && RunningOf(id) is { } running)
        {
            using var _ = no_grad();
            // The batch statistic is (1, C, 1, ...) before broadcasting back: one value per channel.
            var perChannel = stat.detach().flatten().to(running.dtype);
            running.mul_(1 - _momentum).add_(perChannel, _momentum);
        }
        return stat.shape.SequenceEqual(input.shape) ? stat : stat.expand_as(input);
    }

    /// <summary>Running averages of the batch aggregates, by instruction, for inspection and tests.</summary>
    public IReadOnlyList<(string Primitive, Tensor Values)> RunningStatistics =>
        [.. _runningNames.OrderBy(kv => kv.Key).Select(kv => (_code[kv.Key].Op!.Name, RunningOf(kv.Key)!))];

    private Tensor? RunningOf(int id) => _runningNames.TryGetValue(id, out var name) ? get_buffer(name) : null;

    // ---- Lowering: graph -> flat instruction list (shared nodes computed once, constants folded) ----

    private enum Kind : byte { Input, Constant, Parameter, Unary, Binary, Aggregate, Silu, Learned }

    private sealed record Instruction(Kind Kind, Primitive? Op = null, int A = -1, int B = -1, double Value = 0, string? Name = null, int Groups = 0);

    private static Instruction[] Lower(Expr root, ExprCompileOptions options)
    {
        var code = new List<Instruction>();
        var index = new Dictionary<Expr, int>(ReferenceEqualityComparer.Instance);
        // Structurally equal uses of a unit are one unit (one coefficient tensor), as in ExprGraph.LearnedUnits.
        var units = root.LearnedUnits().ToDictionary(u => (Expr)u.Node, u => u.Name);
        int Emit(Instruction i)
        {
            code.Add(i);
            return code.Count - 1;
        }
        foreach (var node in root.Nodes())
        {
            index[node] = node switch
            {
                Variable => Emit(new Instruction(Kind.Input)),
                Constant c => Emit(new Instruction(Kind.Constant, Value: c.Value)),
                Expressions.Parameter p => Emit(new Instruction(Kind.Parameter, Name: p.Name)),
                Unary { Op.Unit: not null } u => Emit(new Instruction(Kind.Learned, u.Op, index[u.Arg], Name: units[u])),
                Unary u when code[index[u.Arg]].Kind == Kind.Constant =>
                    Emit(new Instruction(Kind.Constant, Value: u.Op.Apply1!(code[index[u.Arg]].Value))),
                Unary u => Emit(new Instruction(Kind.Unary, u.Op, index[u.Arg])),
                Binary b when code[index[b.Left]].Kind == Kind.Constant && code[index[b.Right]].Kind == Kind.Constant =>
                    Emit(new Instruction(Kind.Constant, Value: b.Op.Apply2!(code[index[b.Left]].Value, code[index[b.Right]].Value))),
                Binary b when options.FuseKnownPatterns && IsSilu(b) => Emit(new Instruction(Kind.Silu, A: index[b.Left is Unary ? b.Right : b.Left])),
                Binary b => Emit(new Instruction(Kind.Binary, b.Op, index[b.Left], index[b.Right])),
                Aggregate g => Emit(CheckGroups(new Instruction(Kind.Aggregate, g.Op, index[g.Arg], Groups: g.Groups), options)),
                _ => throw new ArgumentException($"Unknown node type {node.GetType().Name}.", nameof(root)),
            };
        }
        return [.. code];
    }

    private static bool IsSilu(Binary b) =>
        b.Op.Name == "mul" && (b.Right is Unary { Op.Name: "sigmoid" } r && r.Arg.Equals(b.Left)
                               || b.Left is Unary { Op.Name: "sigmoid" } l && l.Arg.Equals(b.Right));

    private static Instruction CheckGroups(Instruction ins, ExprCompileOptions options)
    {
        if (ins.Op!.Axes == AggregateAxes.Group && options.Channels > 0 && options.Channels % ins.Groups != 0)
            throw new ArgumentException($"'{ins.Op.Name}' with {ins.Groups} groups needs a channel count divisible by {ins.Groups}; this layer has {options.Channels}.");
        return ins;
    }
}
