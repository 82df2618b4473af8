using System.Numerics.Tensors;

namespace ActSearch.Expressions;

/// <summary>
/// An expression graph compiled to a flat instruction list (one instruction per distinct subgraph: shared
/// and structurally equal nodes are computed once) and evaluated over spans of points with vector kernels, a chunk of rows at a time.
/// Subgraphs that do not depend on x are computed once per call in scalar arithmetic (constants at compile
/// time, parameters at run time), and vector operations with a scalar operand use scalar kernels. Out-of-domain
/// inputs give NaN or ±Inf, never an exception. Instances are immutable and thread-safe; each call uses
/// its own scratch rows (or the <see cref="EvalWorkspace"/> given).
/// </summary>
public sealed class CompiledExpr
{
    /// <summary>Rows per chunk for element-wise graphs: small enough that all live buffers stay in L1/L2.</summary>
    public const int ChunkRows = 256;

    /// <summary>Deepest graph compiled (the compiler recurses once per level).</summary>
    public const int MaxDepth = 4096;

    private enum Code : byte { Input, Const, Param, ScalarUnary, ScalarBinary, Unary, Binary, Aggregate, Learned, ScalarLearned }

    private enum Fast : byte { None, Add, Sub, Mul, Div, Max, Min, Pow }

    private readonly struct Instruction(Code code, Primitive? op, int a, int b, double value, int slot, int groups, Fast fast)
    {
        public readonly Code Code = code;
        public readonly Primitive? Op = op;
        public readonly int A = a, B = b; // instruction indices of the operands
        public readonly double Value = value; // the constant (Const), parameter index (Param) or first coefficient's index (Learned)
        public readonly int Slot = slot; // row buffer of a vector result; -1 for scalar-valued instructions
        public readonly int Groups = groups;
        public readonly Fast Fast = fast;

        public bool IsScalar => Code is Code.Const or Code.Param or Code.ScalarUnary or Code.ScalarBinary or Code.ScalarLearned;

        public Instruction WithSlot(int slot) => new(Code, Op, A, B, Value, slot, Groups, Fast);
    }

    private readonly Instruction[] _code;
    private readonly double[] _initialParameters;

    private CompiledExpr(Expr root, Instruction[] code, int slots, Parameter[] parameters, bool hasAggregates)
    {
        Root = root;
        _code = code;
        SlotCount = slots;
        Parameters = parameters;
        HasAggregates = hasAggregates;
        _initialParameters = new double[parameters.Length];
        for (int i = 0; i < parameters.Length; i++) _initialParameters[i] = parameters[i].Initial;
    }

    public Expr Root { get; }

    /// <summary>
    /// Learnable parameters in the order <see cref="Evaluate(ReadOnlySpan{double}, ReadOnlySpan{double})"/> takes their values:
    /// the graph's parameters, then the learned units' coefficients (<see cref="ExprGraph.ParametersWithCoefficients"/>;
    /// a grouped unit has one set here, the value of every group).
    /// </summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Instructions executed per call (distinct nodes left after folding constants).</summary>
    public int InstructionCount => _code.Length;

    /// <summary>Number of row buffers needed (after reusing dead ones).</summary>
    public int SlotCount { get; }

    public bool HasAggregates { get; }

    /// <summary>True when the whole graph folded to one number at compile time (it depends neither on x nor on parameters).</summary>
    public bool IsConstant => _code[^1].Code == Code.Const;

    /// <summary>True when the result does not depend on x (a constant, or a function of parameters only).</summary>
    public bool IsScalar => _code[^1].IsScalar;

    public static CompiledExpr Compile(Expr root)
    {
        if (root.Depth > MaxDepth) throw new ArgumentException($"Graph is {root.Depth} levels deep; at most {MaxDepth} are compiled.", nameof(root));
        // One builder per thread, reused: compiling is on the hot path of every search (a fingerprint per
        // candidate, a fit per candidate), and allocating its tables each time cost more than evaluating.
        var builder = t_builder ??= new Builder();
        builder.Reset(Math.Min(root.Size, 1 << 16), root.LearnedUnits());
        int rootId = builder.Visit(root);
        return builder.Finish(root, rootId);
    }

    [ThreadStatic]
    private static Builder? t_builder;

    private sealed class Builder
    {
        private Instruction[] _code = new Instruction[64];
        private int _count;
        // Open-addressing table from node to instruction, keyed by the node's cached structural hash and
        // compared structurally: equal subgraphs compile to one instruction whether or not they share a node.
        private Expr?[] _keys = new Expr?[128];
        private int[] _ids = new int[128];
        private int _used;
        private readonly List<Parameter> _parameters = [];
        private IReadOnlyList<LearnedNode> _units = [];
        private readonly Dictionary<Expr, int> _unitIndex = [];
        private bool _hasAggregates;
        private int[] _remap = new int[64], _last = new int[64];
        private bool[] _live = new bool[64];
        private int[] _free = new int[64];

        public void Reset(int expectedNodes, IReadOnlyList<LearnedNode> units)
        {
            _units = units;
            _unitIndex.Clear();
            for (int i = 0; i < units.Count; i++) _unitIndex[units[i].Node] = i;
            int capacity = 128;
            while (capacity < 2 * expectedNodes) capacity <<= 1;
            if (_keys.Length < capacity)
            {
                _keys = new Expr?[capacity];
                _ids = new int[capacity];
            }
            else Array.Clear(_keys);
            _used = 0;
            _count = 0;
            _parameters.Clear();
            _hasAggregates = false;
        }

        private int Emit(Instruction ins)
        {
            if (_count == _code.Length) Array.Resize(ref _code, _count * 2);
            _code[_count] = ins;
            return _count++;
        }

        private int Find(Expr n)
        {
            int mask = _keys.Length - 1;
            for (int i = (int)(n.StructuralHash & (ulong)mask); ; i = (i + 1) & mask)
            {
                var k = _keys[i];
                if (k is null) return -1;
                if (ReferenceEquals(k, n) || k.Equals(n)) return _ids[i];
            }
        }

        private void Remember(Expr n, int id)
        {
            if (2 * (_used + 1) > _keys.Length) Grow();
            int mask = _keys.Length - 1;
            int i = (int)(n.StructuralHash & (ulong)mask);
            while (_keys[i] is not null) i = (i + 1) & mask;
            _keys[i] = n;
            _ids[i] = id;
            _used++;
        }

        private void Grow()
        {
            var (keys, ids) = (_keys, _ids);
            _keys = new Expr?[keys.Length * 2];
            _ids = new int[keys.Length * 2];
            _used = 0;
            for (int i = 0; i < keys.Length; i++)
                if (keys[i] is { } k) Remember(k, ids[i]);
        }

        public int Visit(Expr n)
        {
            int known = Find(n);
            if (known >= 0) return known;
            int id;
            switch (n)
            {
                case Variable:
                    id = Emit(new Instruction(Code.Input, null, -1, -1, 0, 0, 0, Fast.None));
                    break;
                case Constant c:
                    id = Emit(new Instruction(Code.Const, null, -1, -1, c.Value, -1, 0, Fast.None));
                    break;
                case Parameter p:
                {
                    int k = _parameters.FindIndex(q => q.Name == p.Name);
                    if (k < 0)
                    {
                        k = _parameters.Count;
                        _parameters.Add(p);
                    }
                    id = Emit(new Instruction(Code.Param, null, -1, -1, k, -1, 0, Fast.None));
                    break;
                }
                case Unary { Op.Unit: not null } u:
                {
                    // The coefficients are parameters: never folded, even over a constant operand. Value holds the unit's
                    // ordinal until Finish knows where the coefficients start.
                    int a = Visit(u.Arg);
                    id = Emit(new Instruction(_code[a].IsScalar ? Code.ScalarLearned : Code.Learned, u.Op, a, -1, _unitIndex[u], 0, 0, Fast.None));
                    break;
                }
                case Unary u:
                {
                    int a = Visit(u.Arg);
                    var ia = _code[a];
                    id = ia.Code == Code.Const
                        ? Emit(new Instruction(Code.Const, null, -1, -1, u.Op.Apply1!(ia.Value), -1, 0, Fast.None))
                        : Emit(new Instruction(ia.IsScalar ? Code.ScalarUnary : Code.Unary, u.Op, a, -1, 0, 0, 0, Fast.None));
                    break;
                }
                case Binary b:
                {
                    int a = Visit(b.Left), c2 = Visit(b.Right);
                    Instruction ia = _code[a], ib = _code[c2];
                    id = ia.Code == Code.Const && ib.Code == Code.Const
                        ? Emit(new Instruction(Code.Const, null, -1, -1, b.Op.Apply2!(ia.Value, ib.Value), -1, 0, Fast.None))
                        : Emit(new Instruction(ia.IsScalar && ib.IsScalar ? Code.ScalarBinary : Code.Binary, b.Op, a, c2, 0, 0, 0, FastOf(b.Op)));
                    break;
                }
                case Aggregate g:
                    _hasAggregates = true;
                    id = Emit(new Instruction(Code.Aggregate, g.Op, Visit(g.Arg), -1, 0, 0, g.Groups, Fast.None));
                    break;
                default:
                    throw new InvalidOperationException($"Unknown node {n.GetType().Name}.");
            }
            Remember(n, id);
            return id;
        }

        public CompiledExpr Finish(Expr root, int rootId)
        {
            // Keep what the root needs (operands of folded constants are dead), then give vector results
            // row buffers by liveness, so a chunk's working set stays small.
            int count = rootId + 1;
            if (_live.Length < count)
            {
                int size = Math.Max(count, _live.Length * 2);
                _live = new bool[size];
                _remap = new int[size];
                _last = new int[size];
                _free = new int[size];
            }
            var live = _live;
            Array.Clear(live, 0, count);
            live[rootId] = true;
            for (int i = rootId; i >= 0; i--)
            {
                if (!live[i]) continue;
                ref readonly var c = ref _code[i];
                if (c.A >= 0) live[c.A] = true;
                if (c.B >= 0) live[c.B] = true;
            }
            // The coefficients follow the graph's parameters, unit after unit.
            var firstCoefficient = new int[_units.Count];
            for (int u = 0, at = _parameters.Count; u < _units.Count; u++)
            {
                firstCoefficient[u] = at;
                at += _units[u].Unit.Count;
            }
            var remap = _remap;
            int kept = 0;
            for (int i = 0; i < count; i++) remap[i] = live[i] ? kept++ : -1;
            var final = new Instruction[kept];
            var last = _last;
            for (int i = 0; i < count; i++)
            {
                if (!live[i]) continue;
                ref readonly var c = ref _code[i];
                int a = c.A >= 0 ? remap[c.A] : -1, b = c.B >= 0 ? remap[c.B] : -1;
                double value = c.Code is Code.Learned or Code.ScalarLearned ? firstCoefficient[(int)c.Value] : c.Value;
                final[remap[i]] = new Instruction(c.Code, c.Op, a, b, value, c.Slot, c.Groups, c.Fast);
                if (a >= 0) last[a] = remap[i];
                if (b >= 0) last[b] = remap[i];
            }
            var free = _free;
            int top = 0, slots = 0;
            for (int i = 0; i < final.Length; i++)
            {
                var c = final[i];
                final[i] = c.WithSlot(c.IsScalar ? -1 : top > 0 ? free[--top] : slots++);
                // Operands whose last use is this instruction free their rows after it ran.
                if (c.A >= 0 && last[c.A] == i && final[c.A].Slot >= 0) free[top++] = final[c.A].Slot;
                if (c.B >= 0 && c.B != c.A && last[c.B] == i && final[c.B].Slot >= 0) free[top++] = final[c.B].Slot;
            }
            return new CompiledExpr(root, final, Math.Max(slots, 1), [.. _parameters, .. _units.SelectMany(u => u.Coefficients)], _hasAggregates);
        }
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
        Span<double> scalars = _code.Length <= 128 ? stackalloc double[_code.Length] : new double[_code.Length];
        ComputeScalars(scalars, parameters);
        if (IsScalar)
        {
            y[..x.Length].Fill(scalars[^1]);
            return;
        }
        int chunk = shape is null ? Math.Min(ChunkRows, Math.Max(x.Length, 1)) : x.Length;
        var ws = workspace ?? new EvalWorkspace();
        var buffers = ws.Rent(SlotCount, chunk);
        for (int start = 0; start < x.Length; start += chunk)
        {
            int n = Math.Min(chunk, x.Length - start);
            RunChunk(x.Slice(start, n), y.Slice(start, n), scalars, parameters, buffers, n, shape);
        }
    }

    // Everything that does not depend on x, once per call: constants, parameters and functions of them.
    private void ComputeScalars(Span<double> s, ReadOnlySpan<double> parameters)
    {
        for (int i = 0; i < _code.Length; i++)
        {
            ref readonly var ins = ref _code[i];
            switch (ins.Code)
            {
                case Code.Const: s[i] = ins.Value; break;
                case Code.Param: s[i] = parameters[(int)ins.Value]; break;
                case Code.ScalarUnary: s[i] = ins.Op!.Apply1!(s[ins.A]); break;
                case Code.ScalarBinary: s[i] = ins.Op!.Apply2!(s[ins.A], s[ins.B]); break;
                case Code.ScalarLearned: s[i] = ins.Op!.Unit!.Evaluate(Coefficients(in ins, parameters), s[ins.A]); break;
            }
        }
    }

    private static ReadOnlySpan<double> Coefficients(in Instruction ins, ReadOnlySpan<double> parameters) =>
        parameters.Slice((int)ins.Value, ins.Op!.Unit!.Count);

    private void RunChunk(ReadOnlySpan<double> x, Span<double> y, ReadOnlySpan<double> scalars, ReadOnlySpan<double> parameters,
        Rows buffers, int n, TensorShape? shape)
    {
        var code = _code;
        for (int i = 0; i < code.Length; i++)
        {
            ref readonly var ins = ref code[i];
            if (ins.Slot < 0) continue; // scalar-valued: computed once per call
            var dst = buffers[ins.Slot, n];
            switch (ins.Code)
            {
                case Code.Input:
                    x.CopyTo(dst);
                    break;
                case Code.Unary:
                    ins.Op!.Apply(buffers[code[ins.A].Slot, n], dst);
                    break;
                case Code.Learned:
                    ins.Op!.Unit!.Evaluate(Coefficients(in ins, parameters), buffers[code[ins.A].Slot, n], dst);
                    break;
                case Code.Binary:
                    RunBinary(in ins, buffers, n, scalars, dst);
                    break;
                case Code.Aggregate:
                    // A statistic of something that does not depend on x: broadcast it, then reduce in place.
                    if (code[ins.A].Slot < 0) dst.Fill(scalars[ins.A]);
                    AggregateKernels.Apply(ins.Op!, code[ins.A].Slot < 0 ? dst : buffers[code[ins.A].Slot, n], dst, shape!.Value, ins.Groups);
                    break;
            }
        }
        buffers[code[^1].Slot, n].CopyTo(y);
    }

    private void RunBinary(in Instruction ins, Rows buffers, int n, ReadOnlySpan<double> scalars, Span<double> dst)
    {
        ref readonly var a = ref _code[ins.A];
        ref readonly var b = ref _code[ins.B];
        if (a.Slot >= 0 && b.Slot >= 0)
        {
            ins.Op!.Apply(buffers[a.Slot, n], buffers[b.Slot, n], dst);
            return;
        }
        if (b.Slot < 0 && ins.Fast != Fast.None)
        {
            ReadOnlySpan<double> va = buffers[a.Slot, n];
            double s = scalars[ins.B];
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
            double s = scalars[ins.A];
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
        // Other primitives with a scalar operand: broadcast it into the destination row, then run in place.
        if (a.Slot < 0)
        {
            dst.Fill(scalars[ins.A]);
            ins.Op!.Apply(dst, buffers[b.Slot, n], dst);
        }
        else
        {
            dst.Fill(scalars[ins.B]);
            ins.Op!.Apply(buffers[a.Slot, n], dst, dst);
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
                    case Code.Const: v[i] = ins.Value; d[i] = 0; break;
                    case Code.Param: v[i] = parameters[(int)ins.Value]; d[i] = 0; break;
                    case Code.ScalarUnary: v[i] = ins.Op!.Apply1!(v[ins.A]); d[i] = 0; break;
                    case Code.ScalarBinary: v[i] = ins.Op!.Apply2!(v[ins.A], v[ins.B]); d[i] = 0; break;
                    case Code.ScalarLearned: v[i] = ins.Op!.Unit!.Evaluate(Coefficients(in ins, parameters), v[ins.A]); d[i] = 0; break;
                    case Code.Learned:
                    {
                        var c = Coefficients(in ins, parameters);
                        v[i] = ins.Op!.Unit!.Evaluate(c, v[ins.A]);
                        d[i] = d[ins.A] == 0 ? 0 : ins.Op.Unit.Derivative(c, v[ins.A]) * d[ins.A];
                        break;
                    }
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
