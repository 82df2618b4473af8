using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ActSearch.Expressions;
using TorchSharp;
using static TorchSharp.torch;

namespace ActSearch.Evaluation.Torch.Compilation;

/// <summary>
/// A scalar activation (no batch, instance or group statistics) compiled for one fused CPU op: forward computes f(x)
/// in one pass over the input, a chunk of <see cref="ChunkRows"/> elements at a time, keeping every node's values of the
/// chunk in cache. In training the same pass also runs the chain rule backwards through the chunk's node values, seeded
/// with 1, and keeps f'(x) and the derivatives with respect to the learnable parameters (<see cref="DerivativeRows"/>), so
/// backward only multiplies them by the incoming gradient and sums the parameters' products (per scalar, or per
/// channel): no node is computed twice, and what is saved is one row per derivative instead of x and f(x). Arithmetic is
/// in the tensor's own type, through <see cref="FusedKernels{T}"/>, which follow the op chain of
/// <see cref="TorchPrimitives"/>: in float64 the two agree to 1e-5 relative or better, NaN and Inf included. That is the
/// interpreter; on AVX-512 a float32 formula whose primitives all have 16-lane kernels runs a loop generated for it
/// instead (FusedLoops.cs: the same algorithm vector by vector in registers, the same bits).
/// <para>
/// Subgraphs of scalar parameters and constants only (<c>log(beta)</c>) are computed once per call, and their gradient
/// is summed over the whole tensor before it goes through them, as autograd does with a broadcast scalar: the order
/// matters where a derivative is infinite (a sum times Inf, not a sum of signed Infs).
/// </para>
/// <para>
/// Immutable and thread-safe: every call works in the calling thread's own scratch rows. Runs on the calling thread only
/// (no thread pool, no OpenMP), so a training slot stays one thread.
/// </para>
/// </summary>
public sealed partial class FusedProgram
{
    /// <summary>Elements per chunk: every node's row of a chunk (values and adjoints) stays in L1/L2.</summary>
    public const int ChunkRows = 4096;

    private enum Kind : byte { Input, Constant, Parameter, Unary, Binary }

    /// <summary>
    /// One node. <c>Varies</c>: it depends on x or a parameter (it has a gradient). <c>Scalar</c>: one value for the whole
    /// tensor (a constant, a scalar parameter, or a function of those), computed once per call.
    /// </summary>
    private readonly record struct Instruction(Kind Kind, Primitive? Op, int A, int B, double Value, int Parameter, bool Varies, bool Scalar);

    private readonly Instruction[] _code;
    private readonly int _input; // the instruction of x; -1 when the graph ignores x
    private readonly int[] _row; // per instruction: its derivative row (1, 2, ...; row 0 is f'(x)), or 0 when it has none

    private readonly Lazy<Loops?>? _loops; // float32 machine code of its own (FusedLoops.cs); null: interpreted
    private readonly int[] _perChannel; // the instructions of per-channel parameters

    private FusedProgram(Instruction[] code, Expressions.Parameter[] parameters, bool generateLoops)
    {
        _code = code;
        if (generateLoops) _loops = new Lazy<Loops?>(GenerateLoops); // compiled at the first float32 call, once
        _perChannel = [.. Enumerable.Range(0, code.Length).Where(k => code[k].Kind == Kind.Parameter && !code[k].Scalar)];
        _input = Array.FindIndex(code, i => i.Kind == Kind.Input);
        Parameters = parameters;
        // A row for each per-channel parameter, and for each varying scalar node that an element-wise node reads (or that
        // is the root): its gradient is a sum over the tensor, taken in Backward.
        var readElementwise = new bool[code.Length];
        foreach (var ins in code)
            if (ins.Kind is Kind.Unary or Kind.Binary && !ins.Scalar)
            {
                readElementwise[ins.A] = true;
                if (ins.B >= 0) readElementwise[ins.B] = true;
            }
        readElementwise[^1] = true;
        _row = new int[code.Length];
        int rows = 1;
        for (int i = 0; i < code.Length; i++)
            if (code[i].Varies && readElementwise[i] && (code[i].Scalar || code[i].Kind == Kind.Parameter)) _row[i] = rows++;
        DerivativeRows = rows;
    }

    /// <summary>
    /// Rows of x's length that <see cref="ForwardWithDerivatives"/> writes for backward: f'(x), then one per per-channel
    /// parameter and per scalar node with a gradient that element-wise nodes read (so <c>x * sigmoid(x)</c> has 1, Swish with a
    /// learnable beta 2).
    /// </summary>
    public int DerivativeRows { get; }

    /// <summary>The learnable parameters in the order <see cref="Forward"/> and <see cref="Backward"/> take their values.</summary>
    public IReadOnlyList<Expressions.Parameter> Parameters { get; }

    /// <summary>Nodes executed per element (after folding constants and merging equal subgraphs).</summary>
    public int InstructionCount => _code.Length;

    /// <summary>Unary and binary operations per element (inputs, constants and scalar subgraphs not counted): what the op chain would run as separate ops.</summary>
    public int ElementOps => _code.Count(i => i.Kind is Kind.Unary or Kind.Binary && !i.Scalar);

    /// <summary>
    /// True when float32 calls run a loop generated for this formula, false when they run the
    /// interpreter (a primitive without a 16-lane kernel, no AVX-512, or compiled without; FusedLoops.cs).
    /// </summary>
    public bool RunsGeneratedLoop => _loops?.Value is not null;

    /// <summary>The program of a graph without aggregates, or null (a layer with statistics stays an op chain).</summary>
    public static FusedProgram? TryCompile(Expr expr) => TryCompile(expr, generateLoops: true);

    /// <summary><see cref="TryCompile(Expr)"/>; without <paramref name="generateLoops"/> float32 runs the interpreter too (the tests compare the two).</summary>
    internal static FusedProgram? TryCompile(Expr expr, bool generateLoops)
    {
        ArgumentNullException.ThrowIfNull(expr);
        var code = new List<Instruction>();
        var parameters = new List<Expressions.Parameter>();
        var index = new Dictionary<Expr, int>(); // structural equality: equal subgraphs are one instruction
        foreach (var node in expr.Nodes())
        {
            if (index.ContainsKey(node)) continue;
            Instruction ins;
            switch (node)
            {
                case Variable:
                    ins = new Instruction(Kind.Input, null, -1, -1, 0, -1, Varies: true, Scalar: false);
                    break;
                case Constant c:
                    ins = new Instruction(Kind.Constant, null, -1, -1, c.Value, -1, Varies: false, Scalar: true);
                    break;
                case Expressions.Parameter p:
                {
                    int k = parameters.FindIndex(q => q.Name == p.Name);
                    if (k < 0)
                    {
                        k = parameters.Count;
                        parameters.Add(p);
                    }
                    ins = new Instruction(Kind.Parameter, null, -1, -1, 0, k, Varies: true, Scalar: p.Shape == ParameterShape.Scalar);
                    break;
                }
                case Unary { Op.Unit: not null }:
                    return null; // learned units (rational, spline) have no fused kernels yet: their op chain runs
                case Unary u:
                {
                    var a = code[index[u.Arg]];
                    ins = a.Kind == Kind.Constant
                        ? new Instruction(Kind.Constant, null, -1, -1, u.Op.Apply1!(a.Value), -1, false, true)
                        : new Instruction(Kind.Unary, u.Op, index[u.Arg], -1, 0, -1, true, a.Scalar);
                    break;
                }
                case Binary b:
                {
                    var (l, r) = (code[index[b.Left]], code[index[b.Right]]);
                    ins = l.Kind == Kind.Constant && r.Kind == Kind.Constant
                        ? new Instruction(Kind.Constant, null, -1, -1, b.Op.Apply2!(l.Value, r.Value), -1, false, true)
                        : new Instruction(Kind.Binary, b.Op, index[b.Left], index[b.Right], 0, -1, true, l.Scalar && r.Scalar);
                    break;
                }
                default:
                    return null; // an aggregate: statistics over the batch or the sample are not element-wise
            }
            index[node] = code.Count;
            code.Add(ins);
        }
        return new FusedProgram([.. code], [.. parameters], generateLoops);
    }

    /// <summary>
    /// f(x) for every element. <paramref name="parameters"/>: per parameter its value (length 1) or its per-channel values
    /// (length C, the channel of flat index i being <c>(i / inner) % C</c>, with <paramref name="inner"/> = H * W).
    /// </summary>
    public void Forward<T>(ReadOnlySpan<T> x, Span<T> y, IReadOnlyList<T[]> parameters, long inner)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var scalars = Scalars(parameters);
        if (typeof(T) == typeof(float) && _loops?.Value is { } loops)
        {
            RunLoop(loops.Forward, MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(y), default, (IReadOnlyList<float[]>)parameters, (float[])(object)scalars, inner);
            return;
        }
        var ws = Workspace<T>.For(_code.Length);
        for (int start = 0; start < x.Length; start += ChunkRows)
        {
            int n = Math.Min(ChunkRows, x.Length - start);
            Run(ws, x.Slice(start, n), y.Slice(start, n), start, parameters, scalars, inner);
        }
    }

    /// <summary>
    /// f(x) into <paramref name="y"/> and, in the same pass, the derivatives that backward needs into
    /// <paramref name="derivatives"/>: <see cref="DerivativeRows"/> rows of x's length, row 0 being f'(x) and each further
    /// row the derivative of f with respect to one per-channel parameter, or to one scalar node (a scalar parameter or a
    /// function of scalar parameters and constants) that an element-wise node reads. The chain rule runs backwards
    /// through the chunk's node values while they are in cache, seeded with 1, so backward is a multiplication by the
    /// incoming gradient and a sum per parameter: nothing is computed twice.
    /// </summary>
    public void ForwardWithDerivatives<T>(ReadOnlySpan<T> x, Span<T> y, Span<T> derivatives, IReadOnlyList<T[]> parameters, long inner)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (derivatives.Length != (long)DerivativeRows * x.Length)
            throw new ArgumentException($"Expected {DerivativeRows} derivative rows of {x.Length} elements, got {derivatives.Length} elements.", nameof(derivatives));
        var scalars = Scalars(parameters);
        if (typeof(T) == typeof(float) && _loops?.Value is { } loops)
        {
            RunLoop(loops.Training, MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(y), MemoryMarshal.Cast<T, float>(derivatives),
                (IReadOnlyList<float[]>)parameters, (float[])(object)scalars, inner);
            return;
        }
        var ws = Workspace<T>.For(_code.Length);
        for (int start = 0; start < x.Length; start += ChunkRows)
        {
            int n = Math.Min(ChunkRows, x.Length - start);
            var xs = x.Slice(start, n);
            var ys = y.Slice(start, n);
            Run(ws, xs, ys, start, parameters, scalars, inner);
            Derivatives(ws, xs, ys, derivatives, x.Length, start);
        }
    }

    /// <summary>
    /// Given the rows of <see cref="ForwardWithDerivatives"/> and the gradient of the output, writes the gradient of x
    /// into <paramref name="dx"/> and adds the gradients of the parameters (shaped as <paramref name="parameters"/>) into
    /// <paramref name="dParameters"/>, summed in double: per scalar node over the whole tensor before the sum goes through the
    /// scalar subgraph, as autograd does with a broadcast scalar (the order matters where a derivative is infinite).
    /// </summary>
    public void Backward<T>(ReadOnlySpan<T> derivatives, ReadOnlySpan<T> dy, Span<T> dx, IReadOnlyList<T[]> parameters, long inner, double[][] dParameters)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int length = dy.Length;
        if (derivatives.Length != (long)DerivativeRows * length)
            throw new ArgumentException($"Expected {DerivativeRows} derivative rows of {length} elements, got {derivatives.Length} elements.", nameof(derivatives));
        System.Numerics.Tensors.TensorPrimitives.Multiply(dy, derivatives[..length], dx);
        var code = _code;
        var scalarGradient = new double[code.Length]; // of scalar nodes, summed over the whole tensor
        for (int i = 0; i < code.Length; i++)
        {
            if (_row[i] <= 0) continue;
            var row = derivatives.Slice(_row[i] * length, length);
            if (code[i].Scalar)
            {
                scalarGradient[i] = Dot(dy, row);
                continue;
            }
            var target = dParameters[code[i].Parameter]; // per channel: summed a run of one channel at a time
            for (int j = 0; j < length;)
            {
                int run = ChannelRun(j, inner, length - j, out long channel);
                target[(int)(channel % target.Length)] += Dot(dy.Slice(j, run), row.Slice(j, run));
                j += run;
            }
        }
        ScalarBackward(Scalars(parameters), scalarGradient, dParameters);
    }

    /// <summary>
    /// One chunk's derivative rows (at <paramref name="start"/> of each row of <paramref name="length"/>): the chain rule
    /// backwards through the chunk's node values, from a gradient of 1 at the root.
    /// </summary>
    private void Derivatives<T>(Workspace<T> ws, ReadOnlySpan<T> xs, ReadOnlySpan<T> ys, Span<T> rows, int length, int start)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var code = _code;
        int n = xs.Length, root = code.Length - 1;
        var dxs = rows.Slice(start, n);
        dxs.Clear(); // f'(x) accumulates over the nodes that read x
        if (root == _input)
        {
            dxs.Fill(T.One); // f(x) = x
            return;
        }
        for (int i = 0; i < root; i++)
            if (code[i].Varies && i != _input) ws.Adjoints[i].AsSpan(0, n).Clear();
        var ones = ws.Ones(n);
        var scratch = ws.Scratch.AsSpan(0, n);
        for (int i = root; i >= 0; i--)
        {
            var ins = code[i];
            if (!ins.Varies || i == _input) continue;
            ReadOnlySpan<T> g = i == root ? ones : ws.Adjoints[i].AsSpan(0, n);
            if (_row[i] > 0) g.CopyTo(rows.Slice(_row[i] * length + start, n));
            if (ins.Scalar) continue; // its gradient is summed over the tensor in Backward, then goes through the scalar subgraph
            switch (ins.Kind)
            {
                case Kind.Unary:
                    FusedKernels<T>.UnaryBackward(ins.Op!.Name, Value(ws, ins.A, xs, n), i == root ? ys : ws.Values[i].AsSpan(0, n), g, Adjoint(ws, ins.A, dxs, n), scratch);
                    break;
                case Kind.Binary:
                {
                    bool da = code[ins.A].Varies, db = code[ins.B].Varies;
                    FusedKernels<T>.BinaryBackward(ins.Op!.Name, Value(ws, ins.A, xs, n), Value(ws, ins.B, xs, n), i == root ? ys : ws.Values[i].AsSpan(0, n), g,
                        da ? Adjoint(ws, ins.A, dxs, n) : default, db ? Adjoint(ws, ins.B, dxs, n) : default, scratch);
                    break;
                }
            }
        }
    }

    /// <summary>The scalar nodes' values, once per call (in the tensor's type, as the op chain computes them).</summary>
    private T[] Scalars<T>(IReadOnlyList<T[]> parameters) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var code = _code;
        var values = new T[code.Length];
        Span<T> scratch = stackalloc T[1], scratch2 = stackalloc T[1];
        for (int i = 0; i < code.Length; i++)
        {
            var ins = code[i];
            if (!ins.Scalar) continue;
            values[i] = ins.Kind switch
            {
                Kind.Constant => T.CreateTruncating(ins.Value),
                Kind.Parameter => parameters[ins.Parameter][0],
                _ => default,
            };
            if (ins.Kind == Kind.Unary) FusedKernels<T>.Unary(ins.Op!.Name, values.AsSpan(ins.A, 1), values.AsSpan(i, 1), scratch, scratch2);
            else if (ins.Kind == Kind.Binary) FusedKernels<T>.Binary(ins.Op!.Name, values.AsSpan(ins.A, 1), values.AsSpan(ins.B, 1), values.AsSpan(i, 1));
        }
        return values;
    }

    /// <summary>The summed gradients of the scalar nodes, through the scalar subgraph to its parameters (in double).</summary>
    private void ScalarBackward<T>(T[] scalars, double[] gradient, double[][] dParameters) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var code = _code;
        Span<double> scratch = stackalloc double[1];
        for (int i = code.Length - 1; i >= 0; i--)
        {
            var ins = code[i];
            if (!ins.Scalar || !ins.Varies) continue;
            double g = gradient[i];
            switch (ins.Kind)
            {
                case Kind.Parameter:
                    dParameters[ins.Parameter][0] += g;
                    break;
                case Kind.Unary:
                    if (code[ins.A].Varies)
                        FusedKernels<double>.UnaryBackward(ins.Op!.Name, [double.CreateTruncating(scalars[ins.A])], [double.CreateTruncating(scalars[i])],
                            [g], gradient.AsSpan(ins.A, 1), scratch);
                    break;
                case Kind.Binary:
                {
                    bool da = code[ins.A].Varies, db = code[ins.B].Varies;
                    Span<double> ga = stackalloc double[1], gb = stackalloc double[1];
                    FusedKernels<double>.BinaryBackward(ins.Op!.Name, [double.CreateTruncating(scalars[ins.A])], [double.CreateTruncating(scalars[ins.B])],
                        [double.CreateTruncating(scalars[i])], [g], da ? ga : default, db ? gb : default, scratch);
                    if (da) gradient[ins.A] += ga[0];
                    if (db) gradient[ins.B] += gb[0];
                    break;
                }
            }
        }
    }

    /// <summary>
    /// Elements from flat index <paramref name="index"/> on (at most <paramref name="limit"/>) that lie in its channel's
    /// block of <paramref name="inner"/> (H * W) elements; <paramref name="channel"/>: index / inner, before the modulo C.
    /// </summary>
    private static int ChannelRun(long index, long inner, int limit, out long channel)
    {
        channel = index / inner;
        return (int)Math.Min(limit, (channel + 1) * inner - index);
    }

    /// <summary>
    /// The sum of <paramref name="a"/> times <paramref name="b"/> in double: float32 products (as autograd's product of
    /// the gradient and the derivative) summed in float64 lanes, so that millions of terms do not drift; double rows by
    /// TensorPrimitives.
    /// </summary>
    private static double Dot<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(double)) return System.Numerics.Tensors.TensorPrimitives.Dot(MemoryMarshal.Cast<T, double>(a), MemoryMarshal.Cast<T, double>(b));
        var fa = MemoryMarshal.Cast<T, float>(a);
        var fb = MemoryMarshal.Cast<T, float>(b);
        double total = 0;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float firstA = ref MemoryMarshal.GetReference(fa);
            ref float firstB = ref MemoryMarshal.GetReference(fb);
            Vector256<double> low = Vector256<double>.Zero, high = Vector256<double>.Zero;
            for (; i <= fa.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var (l, h) = Vector256.Widen(Vector256.LoadUnsafe(ref firstA, (nuint)i) * Vector256.LoadUnsafe(ref firstB, (nuint)i));
                low += l;
                high += h;
            }
            total = Vector256.Sum(low + high);
        }
        for (; i < fa.Length; i++) total += fa[i] * fb[i];
        return total;
    }

    // x itself is the input's row, and dx the input's gradient row: no copies.
    private Span<T> Value<T>(Workspace<T> ws, int i, ReadOnlySpan<T> x, int n) where T : unmanaged, IFloatingPointIeee754<T> =>
        i == _input ? MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(x), n) : ws.Values[i].AsSpan(0, n);

    private Span<T> Adjoint<T>(Workspace<T> ws, int i, Span<T> dx, int n) where T : unmanaged, IFloatingPointIeee754<T> =>
        i == _input ? dx : ws.Adjoints[i].AsSpan(0, n);

    /// <summary>Every node's values for one chunk, into the workspace's rows; the root's also into <paramref name="y"/> when given.</summary>
    private void Run<T>(Workspace<T> ws, ReadOnlySpan<T> x, Span<T> y, long start, IReadOnlyList<T[]> parameters, T[] scalars, long inner)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var code = _code;
        int n = x.Length, root = code.Length - 1;
        for (int i = 0; i < code.Length; i++)
        {
            var ins = code[i];
            if (ins.Kind == Kind.Input)
            {
                if (i == root && !y.IsEmpty) x.CopyTo(y);
                continue;
            }
            var dst = i == root && !y.IsEmpty ? y : ws.Values[i].AsSpan(0, n);
            if (ins.Scalar)
            {
                dst.Fill(scalars[i]);
                continue;
            }
            switch (ins.Kind)
            {
                case Kind.Parameter: // per channel: a run of equal values per channel
                {
                    var p = parameters[ins.Parameter];
                    for (int j = 0; j < n;)
                    {
                        int run = ChannelRun(start + j, inner, n - j, out long channel);
                        dst.Slice(j, run).Fill(p[(int)(channel % p.Length)]);
                        j += run;
                    }
                    break;
                }
                case Kind.Unary:
                    FusedKernels<T>.Unary(ins.Op!.Name, Value(ws, ins.A, x, n), dst, ws.Scratch.AsSpan(0, n), ws.Scratch2.AsSpan(0, n));
                    break;
                case Kind.Binary:
                    FusedKernels<T>.Binary(ins.Op!.Name, Value(ws, ins.A, x, n), Value(ws, ins.B, x, n), dst);
                    break;
            }
        }
    }

    /// <summary>A thread's scratch rows: values and adjoints of every node of a chunk. Nothing is shared between threads.</summary>
    private sealed class Workspace<T> where T : unmanaged, INumberBase<T>
    {
        [ThreadStatic]
        private static Workspace<T>? t_current;

        public T[][] Values { get; private set; } = [];

        public T[][] Adjoints { get; private set; } = [];

        public T[] Scratch { get; } = new T[ChunkRows];

        public T[] Scratch2 { get; } = new T[ChunkRows];

        private T[]? _ones;

        /// <summary>A row of ones: the gradient the derivative rows are seeded with.</summary>
        public ReadOnlySpan<T> Ones(int n)
        {
            if (_ones is null)
            {
                _ones = new T[ChunkRows];
                _ones.AsSpan().Fill(T.One);
            }
            return _ones.AsSpan(0, n);
        }

        public static Workspace<T> For(int nodes)
        {
            var ws = t_current ??= new Workspace<T>();
            if (ws.Values.Length < nodes)
            {
                ws.Values = [.. Enumerable.Range(0, nodes).Select(_ => new T[ChunkRows])];
                ws.Adjoints = [.. Enumerable.Range(0, nodes).Select(_ => new T[ChunkRows])];
            }
            return ws;
        }
    }
}

/// <summary>
/// The fused op in autograd: forward computes f(x) and its derivative rows (<see cref="FusedProgram.ForwardWithDerivatives"/>)
/// and saves those rows and the parameter tensors, nothing else (not x, not f(x)); backward multiplies them by the
/// incoming gradient. Where no gradient is wanted (evaluation, <c>no_grad</c>) it is not called: <see cref="Apply"/> runs
/// the forward alone. Stateless (TorchSharp keeps one instance per function type): the program travels in the context.
/// </summary>
internal sealed class FusedFunction : autograd.SingleTensorFunction<FusedFunction>
{
    private const string ProgramKey = "program";

    public override string Name => "ActSearchFusedActivation";

    /// <summary>f(x) through <paramref name="program"/>, with the parameters' tensors in the program's order.</summary>
    public static Tensor Apply(FusedProgram program, Tensor x, IReadOnlyList<Tensor> parameters)
    {
        if (is_grad_enabled() && (x.requires_grad || parameters.Any(p => p.requires_grad))) return apply([x, program, .. parameters]);
        var input = x.contiguous();
        var y = empty_like(input);
        long inner = Inner(input);
        if (input.dtype == ScalarType.Float32) program.Forward(Span<float>(input), Span<float>(y), Values<float>([.. parameters]), inner);
        else program.Forward(Span<double>(input), Span<double>(y), Values<double>([.. parameters]), inner);
        return y;
    }

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var x = ((Tensor)vars[0]).contiguous();
        var program = (FusedProgram)vars[1];
        Tensor[] parameters = [.. vars.Skip(2).Cast<Tensor>()];
        var y = empty_like(x);
        var derivatives = empty([program.DerivativeRows, x.numel()], x.dtype);
        long inner = Inner(x);
        if (x.dtype == ScalarType.Float32) program.ForwardWithDerivatives(Span<float>(x), Span<float>(y), Span<float>(derivatives), Values<float>(parameters), inner);
        else program.ForwardWithDerivatives(Span<double>(x), Span<double>(y), Span<double>(derivatives), Values<double>(parameters), inner);
        ctx.save_for_backward([derivatives, .. parameters]);
        ctx.save_data(ProgramKey, program);
        return y;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        var derivatives = saved[0];
        Tensor[] parameters = [.. saved.Skip(1)];
        var program = (FusedProgram)ctx.get_data(ProgramKey);
        var grad = gradOutput.to(derivatives.dtype).contiguous();
        var dx = empty_like(grad);
        double[][] dParameters = [.. parameters.Select(p => new double[Math.Max(1, p.numel())])];
        long inner = Inner(grad);
        if (grad.dtype == ScalarType.Float32) program.Backward(Span<float>(derivatives), Span<float>(grad), Span<float>(dx), Values<float>(parameters), inner, dParameters);
        else program.Backward(Span<double>(derivatives), Span<double>(grad), Span<double>(dx), Values<double>(parameters), inner, dParameters);
        List<Tensor> result = [dx, null!]; // one gradient per argument of apply: the program has none
        for (int i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            result.Add(tensor(dParameters[i], dtype: ScalarType.Float64).reshape(p.shape).to(p.dtype));
        }
        return result;
    }

    /// <summary>Elements per channel: H * W of an NCHW input, 1 of an NC one.</summary>
    private static long Inner(Tensor x)
    {
        long inner = 1;
        for (int d = 2; d < x.dim(); d++) inner *= x.shape[d];
        return Math.Max(inner, 1);
    }

    /// <summary>The parameters' values in the input's type (a parameter of another type, or on another device, is converted).</summary>
    private static T[][] Values<T>(Tensor[] parameters) where T : unmanaged
    {
        var type = typeof(T) == typeof(float) ? ScalarType.Float32 : ScalarType.Float64;
        return [.. parameters.Select(p => p.detach().to(type).cpu().data<T>().ToArray())];
    }

    /// <summary>The tensor's own memory (contiguous, on the CPU), as elements.</summary>
    internal static Span<T> Span<T>(Tensor t) where T : unmanaged => MemoryMarshal.Cast<byte, T>(t.bytes);
}
