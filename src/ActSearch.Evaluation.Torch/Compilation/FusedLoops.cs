using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using V = System.Runtime.Intrinsics.Vector512<float>;

namespace ActSearch.Evaluation.Torch.Compilation;

/// <summary>
/// One generated loop over 16-lane vectors: <paramref name="count"/> elements (a multiple of 16) from <paramref name="x"/>
/// into <paramref name="y"/> and, for the training loop, the derivative rows (row r at r * <paramref name="rowStride"/>
/// from <paramref name="rows"/>). <paramref name="slots"/>: per instruction of the program, the value of a scalar node
/// (and of a per-channel parameter, for the channel being run).
/// </summary>
internal delegate void GeneratedLoop(ref float x, ref float y, ref float rows, nint rowStride, nint count, ref float slots);

public sealed partial class FusedProgram
{
    /// <summary>
    /// The program as float32 machine code of its own, one loop per call instead of one kernel per node: each 16-lane
    /// vector of x goes through every node, and in training back through the chain rule, in registers, and only y and the
    /// derivative rows are written. It is the interpreter's algorithm (the same kernels, nodes and accumulation order),
    /// emitted as IL per formula and compiled by the JIT, which inlines every kernel. Null where it does not apply: no
    /// AVX-512 (<see cref="FusedFloatKernels.Enabled"/>), a primitive without a 16-lane kernel
    /// (<see cref="FusedFloatKernels.UnaryKernels"/>, <see cref="FusedFloatKernels.BinaryKernels"/>), or a root that is x or
    /// a scalar; the interpreter runs those.
    /// </summary>
    private sealed record Loops(GeneratedLoop Forward, GeneratedLoop Training);

    private Loops? GenerateLoops()
    {
        var code = _code;
        int root = code.Length - 1;
        if (!FusedFloatKernels.Enabled || _input < 0 || root == _input || code[root].Scalar) return null;
        foreach (var ins in code)
            if (!ins.Scalar && ins.Kind switch
                {
                    Kind.Unary => !FusedFloatKernels.UnaryKernels.ContainsKey(ins.Op!.Name),
                    Kind.Binary => !FusedFloatKernels.BinaryKernels.ContainsKey(ins.Op!.Name),
                    _ => false,
                })
                return null;
        return new Loops(Emit(derivatives: false), Emit(derivatives: true));
    }

    private static readonly MethodInfo LoadVector = typeof(Vector512).GetMethods()
        .Single(m => m.Name == nameof(Vector512.LoadUnsafe) && m.GetParameters().Length == 2).MakeGenericMethod(typeof(float));
    private static readonly MethodInfo StoreVector = typeof(Vector512).GetMethods()
        .Single(m => m.Name == nameof(Vector512.StoreUnsafe) && m.GetParameters().Length == 3).MakeGenericMethod(typeof(float));
    private static readonly MethodInfo Broadcast = typeof(Vector512).GetMethod(nameof(Vector512.Create), [typeof(float)])!;
    private static readonly MethodInfo ZeroVector = typeof(V).GetProperty(nameof(V.Zero))!.GetMethod!;
    private static readonly MethodInfo OneVector = typeof(V).GetProperty(nameof(V.One))!.GetMethod!;

    private static MethodInfo Kernel(Type kernel, string method, int arguments) =>
        kernel.GetMethod(method, BindingFlags.Public | BindingFlags.Static, [.. Enumerable.Repeat(typeof(V), arguments)])!;

    /// <summary>
    /// The IL of one loop. Locals: a value per node (x's is the loaded vector; a scalar node's, or a per-channel
    /// parameter's, is its slot broadcast once before the loop) and, in training, an adjoint per varying node, seeded
    /// with 1 at the root and accumulated backwards as <see cref="Derivatives"/> does it row by row.
    /// </summary>
    private GeneratedLoop Emit(bool derivatives)
    {
        var code = _code;
        int root = code.Length - 1;
        var floatRef = typeof(float).MakeByRefType();
        var method = new DynamicMethod(derivatives ? "FusedTrainingLoop" : "FusedLoop", typeof(void),
            [floatRef, floatRef, floatRef, typeof(nint), typeof(nint), floatRef], typeof(FusedProgram).Module, skipVisibility: true);
        var il = method.GetILGenerator();
        const short X = 0, Y = 1, Rows = 2, Stride = 3, Count = 4, Slots = 5;
        var i = il.DeclareLocal(typeof(nint));
        var values = new LocalBuilder[code.Length];
        var adjoints = new LocalBuilder?[code.Length];
        var shared = new LocalBuilder?[code.Length]; // the intermediate of a sharing kernel's node, for its value and its derivative
        for (int k = 0; k < code.Length; k++)
        {
            values[k] = il.DeclareLocal(typeof(V));
            if (derivatives && code[k].Varies) adjoints[k] = il.DeclareLocal(typeof(V));
            if (code[k] is { Kind: Kind.Unary, Scalar: false } u && typeof(FusedFloatKernels.ISharingKernel).IsAssignableFrom(FusedFloatKernels.UnaryKernels[u.Op!.Name]))
                shared[k] = il.DeclareLocal(typeof(V));
        }

        // Before the loop: the scalar nodes' and per-channel parameters' values, broadcast.
        for (int k = 0; k < code.Length; k++)
            if (code[k].Scalar || code[k].Kind == Kind.Parameter)
            {
                il.Emit(OpCodes.Ldarg, Slots);
                il.Emit(OpCodes.Ldc_I4, k * sizeof(float));
                il.Emit(OpCodes.Conv_I);
                il.Emit(OpCodes.Add);
                il.Emit(OpCodes.Ldind_R4);
                il.Emit(OpCodes.Call, Broadcast);
                il.Emit(OpCodes.Stloc, values[k]);
            }
        il.Emit(OpCodes.Ldc_I4_0);
        il.Emit(OpCodes.Conv_I);
        il.Emit(OpCodes.Stloc, i);
        var check = il.DefineLabel();
        var body = il.DefineLabel();
        il.Emit(OpCodes.Br, check);
        il.MarkLabel(body);

        // Forward: every element-wise node, in order.
        for (int k = 0; k < code.Length; k++)
        {
            var ins = code[k];
            if (ins.Kind == Kind.Input)
            {
                il.Emit(OpCodes.Ldarg, X);
                il.Emit(OpCodes.Ldloc, i);
                il.Emit(OpCodes.Call, LoadVector);
                il.Emit(OpCodes.Stloc, values[k]);
                continue;
            }
            if (ins.Scalar || ins.Kind == Kind.Parameter) continue;
            if (shared[k] is { } intermediate)
            {
                var kernel = FusedFloatKernels.UnaryKernels[ins.Op!.Name];
                il.Emit(OpCodes.Ldloc, values[ins.A]);
                il.Emit(OpCodes.Call, Kernel(kernel, nameof(FusedFloatKernels.ISharingKernel.Shared), 1));
                il.Emit(OpCodes.Stloc, intermediate);
                il.Emit(OpCodes.Ldloc, values[ins.A]);
                il.Emit(OpCodes.Ldloc, intermediate);
                il.Emit(OpCodes.Call, Kernel(kernel, nameof(FusedFloatKernels.ISharingKernel.Value), 2));
                il.Emit(OpCodes.Stloc, values[k]);
                continue;
            }
            il.Emit(OpCodes.Ldloc, values[ins.A]);
            if (ins.Kind == Kind.Binary) il.Emit(OpCodes.Ldloc, values[ins.B]);
            il.Emit(OpCodes.Call, ins.Kind == Kind.Unary
                ? Kernel(FusedFloatKernels.UnaryKernels[ins.Op!.Name], nameof(FusedFloatKernels.IKernel.Value), 1)
                : Kernel(FusedFloatKernels.BinaryKernels[ins.Op!.Name], nameof(FusedFloatKernels.IBinaryKernel.Value), 2));
            il.Emit(OpCodes.Stloc, values[k]);
        }
        Store(il, values[root], Y, i, row: -1);

        if (derivatives)
        {
            for (int k = 0; k < code.Length; k++)
                if (adjoints[k] is { } adjoint)
                {
                    il.Emit(OpCodes.Call, k == root ? OneVector : ZeroVector);
                    il.Emit(OpCodes.Stloc, adjoint);
                }
            for (int k = root; k >= 0; k--)
            {
                var ins = code[k];
                if (!ins.Varies || k == _input) continue;
                if (_row[k] > 0) Store(il, adjoints[k]!, Rows, i, _row[k]);
                if (ins.Scalar) continue; // summed over the tensor in Backward, then through the scalar subgraph
                if (ins.Kind == Kind.Unary)
                {
                    var target = adjoints[ins.A];
                    if (target is null) continue;
                    // ga = Accumulate(a, y, [shared,] g, ga)
                    il.Emit(OpCodes.Ldloc, values[ins.A]);
                    il.Emit(OpCodes.Ldloc, values[k]);
                    if (shared[k] is { } intermediate) il.Emit(OpCodes.Ldloc, intermediate);
                    il.Emit(OpCodes.Ldloc, adjoints[k]!);
                    il.Emit(OpCodes.Ldloc, target);
                    il.Emit(OpCodes.Call, Kernel(FusedFloatKernels.UnaryKernels[ins.Op!.Name], nameof(FusedFloatKernels.IKernel.Accumulate), shared[k] is null ? 4 : 5));
                    il.Emit(OpCodes.Stloc, target);
                }
                else if (ins.Kind == Kind.Binary)
                {
                    var kernel = FusedFloatKernels.BinaryKernels[ins.Op!.Name];
                    foreach (var (operand, side) in new[] { (ins.A, nameof(FusedFloatKernels.IBinaryKernel.AccumulateLeft)), (ins.B, nameof(FusedFloatKernels.IBinaryKernel.AccumulateRight)) })
                    {
                        var target = adjoints[operand];
                        if (target is null) continue;
                        il.Emit(OpCodes.Ldloc, values[ins.A]);
                        il.Emit(OpCodes.Ldloc, values[ins.B]);
                        il.Emit(OpCodes.Ldloc, values[k]);
                        il.Emit(OpCodes.Ldloc, adjoints[k]!);
                        il.Emit(OpCodes.Ldloc, target);
                        il.Emit(OpCodes.Call, Kernel(kernel, side, 5));
                        il.Emit(OpCodes.Stloc, target);
                    }
                }
            }
            Store(il, adjoints[_input]!, Rows, i, row: 0);
        }

        il.Emit(OpCodes.Ldloc, i);
        il.Emit(OpCodes.Ldc_I4, Vector512<float>.Count);
        il.Emit(OpCodes.Conv_I);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Stloc, i);
        il.MarkLabel(check);
        il.Emit(OpCodes.Ldloc, i);
        il.Emit(OpCodes.Ldarg, Count);
        il.Emit(OpCodes.Blt, body);
        il.Emit(OpCodes.Ret);
        return method.CreateDelegate<GeneratedLoop>();

        // value -> destination[row * stride + i] (row -1: y, no stride)
        static void Store(ILGenerator il, LocalBuilder value, short destination, LocalBuilder i, int row)
        {
            il.Emit(OpCodes.Ldloc, value);
            il.Emit(OpCodes.Ldarg, destination);
            il.Emit(OpCodes.Ldloc, i);
            if (row > 0)
            {
                il.Emit(OpCodes.Ldarg, Stride);
                il.Emit(OpCodes.Ldc_I4, row);
                il.Emit(OpCodes.Conv_I);
                il.Emit(OpCodes.Mul);
                il.Emit(OpCodes.Add);
            }
            il.Emit(OpCodes.Call, StoreVector);
        }
    }

    /// <summary>
    /// Runs a generated loop over x (and the derivative rows, when <paramref name="rows"/> is not empty): in one call, or
    /// one per channel run where a parameter is per channel (its slot then holds that channel's value). Tails shorter than
    /// a vector go through padded buffers on the stack, so they get the same arithmetic.
    /// </summary>
    private void RunLoop(GeneratedLoop loop, ReadOnlySpan<float> x, Span<float> y, Span<float> rows, IReadOnlyList<float[]> parameters, float[] scalars, long inner)
    {
        var slots = scalars; // a fresh array per call (Scalars): per-channel parameters' slots are set per run
        if (_perChannel.Length == 0)
        {
            Call(loop, x, y, rows, x.Length, 0, x.Length, slots, DerivativeRows);
            return;
        }
        for (int j = 0; j < x.Length;)
        {
            int run = ChannelRun(j, inner, x.Length - j, out long channel);
            foreach (int k in _perChannel)
            {
                var p = parameters[_code[k].Parameter];
                slots[k] = p[(int)(channel % p.Length)];
            }
            Call(loop, x, y, rows, x.Length, j, run, slots, DerivativeRows);
            j += run;
        }

        static void Call(GeneratedLoop loop, ReadOnlySpan<float> x, Span<float> y, Span<float> rows, int stride, int start, int count, float[] slots, int rowCount)
        {
            const int Width = 16;
            int body = count & ~(Width - 1);
            if (body > 0)
                loop(ref MemoryMarshal.GetReference(x[start..]), ref y[start], ref rows.IsEmpty ? ref slots[0] : ref rows[start], stride, body, ref slots[0]);
            int tail = count - body;
            if (tail == 0) return;
            Span<float> px = stackalloc float[Width], py = stackalloc float[Width];
            Span<float> prows = stackalloc float[Width * rowCount];
            px.Clear();
            x.Slice(start + body, tail).CopyTo(px);
            loop(ref px[0], ref py[0], ref prows[0], Width, Width, ref slots[0]);
            py[..tail].CopyTo(y[(start + body)..]);
            if (rows.IsEmpty) return;
            for (int r = 0; r < rowCount; r++) prows.Slice(r * Width, tail).CopyTo(rows[(r * stride + start + body)..]);
        }
    }
}
