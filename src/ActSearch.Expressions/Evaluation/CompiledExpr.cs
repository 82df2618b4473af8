using System.Numerics.Tensors;

namespace ActSearch.Expressions;

/// <summary>
/// An expression graph compiled to a flat instruction list (one instruction per distinct node, shared
/// nodes computed once) and evaluated over spans of points with vector kernels, a chunk of rows at a time.
/// Constant subgraphs are folded at compile time and scalar operands use scalar kernels. Out-of-domain
/// inputs give NaN or ±Inf, never an exception. Instances are immutable and thread-safe; each call uses
/// its own scratch buffers (or the <see cref="EvalWorkspace"/> given).
/// </summary>
public sealed class CompiledExpr
{
    /// <summary>Rows per chunk for element-wise graphs: small enough that all live buffers stay in L1/L2.</summary>
    public const int ChunkRows = 256;

    private enum Code : byte { Input, Scalar, Parameter, Unary, Binary, Aggregate }

    private enum Fast : byte { None, Add, Sub, Mul, Div, Max, Min, Pow }

    private readonly struct Instruction(Code code, Primitive? op, int a, int b, double value, int slot, int groups, Fast fast)
    {
        public readonly Code Code = code;
        public readonly Primitive? Op = op;
        public readonly int A = a, B = b; // instruction indices of the operands
        public readonly double Value = value; // scalar value (Scalar) or parameter index (Parameter)
        public readonly int Slot = slot; // buffer slot of a vector result; -1 for scalars
        public readonly int Groups = groups;
        public readonly Fast Fast = fast;
    }

    private readonly Instruction[] _code;
    private readonly double[] _initialParameters;

    private CompiledExpr(Expr root, Instruction[] code, int slots, IReadOnlyList<Parameter> parameters, bool hasAggregates)
    {
        Root = root;
        _code = code;
        SlotCount = slots;
        Parameters = parameters;
        HasAggregates = hasAggregates;
        _initialParameters = [.. parameters.Select(p => p.Initial)];
    }

    public Expr Root { get; }

    /// <summary>Learnable parameters in the order <see cref="Evaluate"/> takes their values.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Instructions executed per row (distinct non-folded nodes).</summary>
    public int InstructionCount => _code.Length;

    /// <summary>Number of row buffers needed (after reusing dead ones).</summary>
    public int SlotCount { get; }

    public bool HasAggregates { get; }

    /// <summary>True when the whole graph folded to one number (it does not depend on x).</summary>
    public bool IsConstant => _code[^1].Code == Code.Scalar;

    public static CompiledExpr Compile(Expr root)
    {
        var nodes = root.Nodes();
        var parameters = root.Parameters();
        var paramIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < parameters.Count; i++) paramIndex[parameters[i].Name] = i;

        var index = new Dictionary<Expr, int>(ReferenceEqualityComparer.Instance);
        var code = new List<Instruction>(nodes.Count);
        bool hasAggregates = false;

        int Emit(Instruction ins)
        {
            code.Add(ins);
            return code.Count - 1;
        }

        foreach (var n in nodes)
        {
            int id;
            switch (n)
            {
                case Variable:
                    id = Emit(new Instruction(Code.Input, null, -1, -1, 0, 0, 0, Fast.None));
                    break;
                case Constant c:
                    id = Emit(new Instruction(Code.Scalar, null, -1, -1, c.Value, -1, 0, Fast.None));
                    break;
                case Parameter p:
                    id = Emit(new Instruction(Code.Parameter, null, -1, -1, paramIndex[p.Name], -1, 0, Fast.None));
                    break;
                case Unary u:
                {
                    int a = index[u.Arg];
                    id = code[a].Code == Code.Scalar
                        ? Emit(new Instruction(Code.Scalar, null, -1, -1, u.Op.Apply1!(code[a].Value), -1, 0, Fast.None))
                        : Emit(new Instruction(Code.Unary, u.Op, a, -1, 0, 0, 0, Fast.None));
                    break;
                }
                case Binary b:
                {
                    int a = index[b.Left], c2 = index[b.Right];
                    id = code[a].Code == Code.Scalar && code[c2].Code == Code.Scalar
                        ? Emit(new Instruction(Code.Scalar, null, -1, -1, b.Op.Apply2!(code[a].Value, code[c2].Value), -1, 0, Fast.None))
                        : Emit(new Instruction(Code.Binary, b.Op, a, c2, 0, 0, 0, FastOf(b.Op)));
                    break;
                }
                case Aggregate g:
                    hasAggregates = true;
                    id = Emit(new Instruction(Code.Aggregate, g.Op, index[g.Arg], -1, 0, 0, g.Groups, Fast.None));
                    break;
                default:
                    throw new InvalidOperationException($"Unknown node {n.GetType().Name}.");
            }
            index[n] = id;
        }

        // Drop instructions nothing uses any more (operands of folded constants), then allocate buffers
        // by liveness so a chunk's working set stays small.
        int rootId = index[root];
        var live = new bool[code.Count];
        live[rootId] = true;
        for (int i = rootId; i >= 0; i--)
        {
            if (!live[i]) continue;
            if (code[i].A >= 0) live[code[i].A] = true;
            if (code[i].B >= 0) live[code[i].B] = true;
        }
        var remap = new int[code.Count];
        var kept = new List<Instruction>();
        for (int i = 0; i < code.Count; i++)
        {
            if (!live[i])
            {
                remap[i] = -1;
                continue;
            }
            var c = code[i];
            remap[i] = kept.Count;
            kept.Add(new Instruction(c.Code, c.Op, c.A >= 0 ? remap[c.A] : -1, c.B >= 0 ? remap[c.B] : -1, c.Value, c.Slot, c.Groups, c.Fast));
        }
        var last = new int[kept.Count];
        Array.Fill(last, -1);
        for (int i = 0; i < kept.Count; i++)
        {
            if (kept[i].A >= 0) last[kept[i].A] = i;
            if (kept[i].B >= 0) last[kept[i].B] = i;
        }
        var free = new Stack<int>();
        int slots = 0;
        var final = new Instruction[kept.Count];
        for (int i = 0; i < kept.Count; i++)
        {
            var c = kept[i];
            bool vector = c.Code is not (Code.Scalar or Code.Parameter);
            int slot = -1;
            if (vector) slot = free.Count > 0 ? free.Pop() : slots++;
            final[i] = new Instruction(c.Code, c.Op, c.A, c.B, c.Value, slot, c.Groups, c.Fast);
            // Operands whose last use is this instruction release their buffers after it runs.
            if (c.A >= 0 && last[c.A] == i && final[c.A].Slot >= 0) free.Push(final[c.A].Slot);
            if (c.B >= 0 && c.B != c.A && last[c.B] == i && final[c.B].Slot >= 0) free.Push(final[c.B].Slot);
        }
        return new CompiledExpr(root, final, Math.Max(slots, 1), parameters, hasAggregates);
    }

    private static Fast FastOf(Primitive op) => op.Name switch
    {
        "add" => Fast.Add,
        "sub" => Fast.Sub,
        "mul" => Fast.Mul,
        "div" => Fast.Div,
        "max" => Fast.Max,
        "min" => Fast.Min,
        "pow" => Fast.Pow,
        _ => Fast.None,
    };

    /// <summary>Evaluates at scalar points (element-wise graphs). Parameters default to their initial values.</summary>
    public double[] Evaluate(ReadOnlySpan<double> x, ReadOnlySpan<double> parameters = default)
    {
        var y = new double[x.Length];
        Evaluate(x, y, parameters);
        return y;
    }

    /// <summary>Evaluates at scalar points into <paramref name="y"/>. Graphs with aggregates need a shape.</summary>
    public void Evaluate(ReadOnlySpan<double> x, Span<double> y, ReadOnlySpan<double> parameters = default, EvalWorkspace? workspace = null)
    {
        if (HasAggregates)
            throw new InvalidOperationException("This graph has tensor statistics; evaluate it with a TensorShape.");
        Run(x, y, parameters, null, workspace);
    }

    /// <summary>Evaluates a layer graph on an NCHW tensor laid out row-major.</summary>
    public void Evaluate(ReadOnlySpan<double> x, Span<double> y, TensorShape shape, ReadOnlySpan<double> parameters = default)
    {
        if (x.Length != shape.Length) throw new ArgumentException($"Input has {x.Length} values; shape {shape} needs {shape.Length}.", nameof(x));
        Run(x, y, parameters, shape, null);
    }

    /// <summary>Evaluates one point.</summary>
    public double Evaluate(double x, ReadOnlySpan<double> parameters = default)
    {
        Span<double> y = stackalloc double[1];
        Evaluate([x], y, parameters);
        return y[0];
    }

    private void Run(ReadOnlySpan<double> x, Span<double> y, ReadOnlySpan<double> parameters, TensorShape? shape, EvalWorkspace? workspace)
    {
        if (y.Length < x.Length) throw new ArgumentException("Output is shorter than the input.", nameof(y));
        if (parameters.IsEmpty) parameters = _initialParameters;
        else if (parameters.Length != Parameters.Count)
            throw new ArgumentException($"Expected {Parameters.Count} parameter values, got {parameters.Length}.", nameof(parameters));
        if (IsConstant)
        {
            y[..x.Length].Fill(_code[^1].Value);
            return;
        }
        int chunk = shape is null ? Math.Min(ChunkRows, Math.Max(x.Length, 1)) : x.Length;
        var ws = workspace ?? new EvalWorkspace();
        var buffers = ws.Rent(SlotCount, chunk);
        for (int start = 0; start < x.Length; start += chunk)
        {
            int n = Math.Min(chunk, x.Length - start);
            RunChunk(x.Slice(start, n), y.Slice(start, n), parameters, buffers, n, shape);
        }
    }

    private void RunChunk(ReadOnlySpan<double> x, Span<double> y, ReadOnlySpan<double> parameters, Rows buffers, int n, TensorShape? shape)
    {
        var code = _code;
        for (int i = 0; i < code.Length; i++)
        {
            ref readonly var ins = ref code[i];
            if (ins.Slot < 0) continue; // scalars and parameters are read in place
            var dst = buffers[ins.Slot, n];
            switch (ins.Code)
            {
                case Code.Input:
                    x.CopyTo(dst);
                    break;
                case Code.Unary:
                    ins.Op!.Apply(Operand(ins.A, buffers, n, x, parameters, dst), dst);
                    break;
                case Code.Binary:
                    RunBinary(in ins, buffers, n, x, parameters, dst);
                    break;
                case Code.Aggregate:
                    AggregateKernels.Apply(ins.Op!, Operand(ins.A, buffers, n, x, parameters, dst), dst, shape!.Value, ins.Groups);
                    break;
            }
        }
        Result(buffers, n, x, parameters, y);
    }

    private void Result(Rows buffers, int n, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, Span<double> y)
    {
        ref readonly var last = ref _code[^1];
        if (last.Slot >= 0) buffers[last.Slot, n].CopyTo(y);
        else y.Fill(ScalarOf(in last, parameters));
    }

    private double ScalarOf(in Instruction ins, ReadOnlySpan<double> parameters) =>
        ins.Code == Code.Scalar ? ins.Value : parameters[(int)ins.Value];

    // The operand as a span; a scalar operand is broadcast into the destination first (rare: unary of a parameter).
    private ReadOnlySpan<double> Operand(int id, Rows buffers, int n, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, Span<double> scratch)
    {
        ref readonly var ins = ref _code[id];
        if (ins.Slot >= 0) return buffers[ins.Slot, n];
        scratch.Fill(ScalarOf(in ins, parameters));
        return scratch;
    }

    private void RunBinary(in Instruction ins, Rows buffers, int n, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, Span<double> dst)
    {
        ref readonly var a = ref _code[ins.A];
        ref readonly var b = ref _code[ins.B];
        if (a.Slot >= 0 && b.Slot >= 0)
        {
            ins.Op!.Apply(buffers[a.Slot, n], buffers[b.Slot, n], dst);
            return;
        }
        if (a.Slot < 0 && b.Slot < 0) // parameters (and constants) only: not folded, parameters vary
        {
            dst.Fill(ins.Op!.Apply2!(ScalarOf(in a, parameters), ScalarOf(in b, parameters)));
            return;
        }
        if (b.Slot < 0 && ins.Fast != Fast.None)
        {
            ReadOnlySpan<double> va = buffers[a.Slot, n];
            double s = ScalarOf(in b, parameters);
            switch (ins.Fast)
            {
                case Fast.Add: TensorPrimitives.Add(va, s, dst); return;
                case Fast.Sub: TensorPrimitives.Subtract(va, s, dst); return;
                case Fast.Mul: TensorPrimitives.Multiply(va, s, dst); return;
                case Fast.Div: TensorPrimitives.Divide(va, s, dst); return;
                case Fast.Max: TensorPrimitives.Max(va, s, dst); return;
                case Fast.Min: TensorPrimitives.Min(va, s, dst); return;
                case Fast.Pow: TensorPrimitives.Pow(va, s, dst); return;
            }
        }
        if (a.Slot < 0 && ins.Fast != Fast.None)
        {
            ReadOnlySpan<double> vb = buffers[b.Slot, n];
            double s = ScalarOf(in a, parameters);
            switch (ins.Fast)
            {
                case Fast.Add: TensorPrimitives.Add(vb, s, dst); return;
                case Fast.Sub: TensorPrimitives.Subtract(s, vb, dst); return;
                case Fast.Mul: TensorPrimitives.Multiply(vb, s, dst); return;
                case Fast.Div: TensorPrimitives.Divide(s, vb, dst); return;
                case Fast.Max: TensorPrimitives.Max(vb, s, dst); return;
                case Fast.Min: TensorPrimitives.Min(vb, s, dst); return;
                case Fast.Pow: TensorPrimitives.Pow(s, vb, dst); return;
            }
        }
        // General case with a scalar operand: broadcast it through a scratch row.
        var scratch = new double[n];
        if (a.Slot < 0)
        {
            scratch.AsSpan().Fill(ScalarOf(in a, parameters));
            ins.Op!.Apply(scratch, buffers[b.Slot, n], dst);
        }
        else
        {
            scratch.AsSpan().Fill(ScalarOf(in b, parameters));
            ins.Op!.Apply(buffers[a.Slot, n], scratch, dst);
        }
    }

    /// <summary>
    /// f(x) and f'(x) at scalar points by forward-mode differentiation through the primitives' derivative
    /// entries (for plots and gradient checks). Graphs with aggregates give NaN derivatives.
    /// </summary>
    public void EvaluateWithDerivative(ReadOnlySpan<double> x, Span<double> y, Span<double> dy, ReadOnlySpan<double> parameters = default)
    {
        if (parameters.IsEmpty) parameters = _initialParameters;
        if (HasAggregates)
        {
            dy[..x.Length].Fill(double.NaN);
            Run(x, y, parameters, new TensorShape(1, 1, 1, x.Length), null);
            return;
        }
        var v = new double[_code.Length];
        var d = new double[_code.Length];
        for (int row = 0; row < x.Length; row++)
        {
            for (int i = 0; i < _code.Length; i++)
            {
                ref readonly var ins = ref _code[i];
                switch (ins.Code)
                {
                    case Code.Input: v[i] = x[row]; d[i] = 1; break;
                    case Code.Scalar: v[i] = ins.Value; d[i] = 0; break;
                    case Code.Parameter: v[i] = parameters[(int)ins.Value]; d[i] = 0; break;
                    case Code.Unary:
                        v[i] = ins.Op!.Apply1!(v[ins.A]);
                        d[i] = d[ins.A] == 0 ? 0 : ins.Op.Derivative1!(v[ins.A]) * d[ins.A];
                        break;
                    case Code.Binary:
                    {
                        double a = v[ins.A], b = v[ins.B];
                        v[i] = ins.Op!.Apply2!(a, b);
                        // A zero tangent contributes nothing even where the partial is infinite or NaN
                        // (d/db of a^b at a < 0 with a constant b, for instance).
                        double left = d[ins.A] == 0 ? 0 : ins.Op.DerivativeLeft!(a, b) * d[ins.A];
                        double right = d[ins.B] == 0 ? 0 : ins.Op.DerivativeRight!(a, b) * d[ins.B];
                        d[i] = left + right;
                        break;
                    }
                }
            }
            y[row] = v[^1];
            dy[row] = d[^1];
        }
    }
}

/// <summary>Reusable scratch rows for <see cref="CompiledExpr"/>; one per thread (not thread-safe).</summary>
public sealed class EvalWorkspace
{
    // Rows start on 64-byte boundaries: the vector kernels treat an unaligned head differently from the
    // aligned body, so without this one input could give results that differ in the last bit with the
    // address the garbage collector happened to choose, and one seed could give two searches.
    private const int AlignDoubles = 8;
    private double[][] _buffers = [];
    private int[] _offsets = [];
    private int _rows;

    internal unsafe Rows Rent(int slots, int rows)
    {
        if (_buffers.Length < slots || _rows < rows)
        {
            _rows = Math.Max(rows, _rows);
            int count = Math.Max(slots, _buffers.Length);
            _buffers = new double[count][];
            _offsets = new int[count];
            for (int i = 0; i < count; i++)
            {
                _buffers[i] = GC.AllocateUninitializedArray<double>(_rows + AlignDoubles, pinned: true);
                fixed (double* p = _buffers[i])
                {
                    long misaligned = (long)p & (AlignDoubles * sizeof(double) - 1);
                    _offsets[i] = misaligned == 0 ? 0 : (int)((AlignDoubles * sizeof(double) - misaligned) / sizeof(double));
                }
            }
        }
        return new Rows(_buffers, _offsets);
    }
}

/// <summary>The aligned rows of a workspace, indexed by slot.</summary>
internal readonly struct Rows(double[][] buffers, int[] offsets)
{
    public Span<double> this[int slot, int length] => buffers[slot].AsSpan(offsets[slot], length);
}
