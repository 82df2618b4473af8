using ActSearch.Expressions;
using static TorchSharp.torch;

namespace ActSearch.Evaluation.Torch.Compilation;

/// <summary>
/// The TorchSharp lowering of learned units (<see cref="LearnedUnit"/>), as op chains that autograd differentiates with
/// respect to x and the coefficients, written to agree with the CPU kernels (<see cref="RationalUnit.Evaluate"/>,
/// <see cref="SplineUnit.Evaluate"/>): the same Horner order, the same extended knot grid, the spline part 0 outside it.
/// </summary>
public static class LearnedUnitOps
{
    /// <summary>
    /// The coefficient tensor a module registers for a unit: [count] for one set, [groups, count] for KAT's channel groups,
    /// at the unit's initial values (every group starts equal).
    /// </summary>
    public static Tensor Initial(LearnedUnit unit)
    {
        var values = tensor(unit.Initial.Select(v => (float)v).ToArray());
        return unit.Groups == 1 ? values : values.unsqueeze(0).repeat(unit.Groups, 1).contiguous();
    }

    /// <summary>f(x) of <paramref name="unit"/> with the learnable <paramref name="coefficients"/> (shaped as <see cref="Initial"/>).</summary>
    public static Tensor Apply(LearnedUnit unit, Tensor x, Tensor coefficients)
    {
        var c = coefficients.to(x.dtype);
        return unit switch
        {
            RationalUnit r => Rational(r, x, c),
            SplineUnit s => Spline(s, x, c),
            _ => throw new NotSupportedException($"No TorchSharp lowering for the learned unit '{unit.Family}'."),
        };
    }

    // Coefficient i as something that broadcasts against x: a 0-dimensional tensor, or (1, C, 1, 1) / (1, C) for groups.
    private static Func<int, Tensor> Coefficients(Tensor c, Tensor x)
    {
        if (c.dim() == 1) return i => c[i];
        long channels = x.shape[1];
        long groups = c.shape[0];
        if (channels % groups != 0)
            throw new ArgumentException($"A rational unit with {groups} groups needs a channel count divisible by {groups}; the input has {channels}.");
        var perChannel = c.repeat_interleave(channels / groups, dim: 0); // [C, count]
        var shape = new long[x.dim()];
        Array.Fill(shape, 1L);
        shape[1] = channels;
        return i => perChannel[TensorIndex.Colon, i].view(shape);
    }

    private static Tensor Rational(RationalUnit unit, Tensor x, Tensor coefficients)
    {
        var c = Coefficients(coefficients, x);
        int m = unit.M, n = unit.N;
        var p = c(m) * x + c(m - 1);
        for (int i = m - 2; i >= 0; i--) p = p * x + c(i);
        if (n == 0) return p;
        var q = c(m + n) * x;
        for (int j = n - 1; j >= 1; j--) q = (q + c(m + j)) * x;
        return p / (q.abs() + 1);
    }

    private static Tensor Spline(SplineUnit unit, Tensor x, Tensor c)
    {
        int k = unit.K, intervals = unit.Grid + 2 * k;
        var s = (x - unit.FirstKnot) / unit.Spacing;
        Tensor j, u, inside, index;
        using (no_grad())
        {
            j = s.floor();
            inside = s.ge(0).logical_and(j.lt(intervals));
            index = where(inside, j, zeros_like(j)).to(ScalarType.Int64);
        }
        u = s - j; // du/dx = 1 / spacing; the floor is a constant piecewise
        var zeros = c.new_zeros(k);
        var padded = cat([zeros, c[TensorIndex.Slice(1)], zeros]);
        // Cox-de Boor on uniform knots: N^d_r = ((u + d - r) N^(d-1)_(r-1) + (r + 1 - u) N^(d-1)_r) / d.
        var pieces = new List<Tensor> { ones_like(u) };
        for (int d = 1; d <= k; d++)
        {
            var next = new List<Tensor>(d + 1);
            for (int r = 0; r <= d; r++)
            {
                Tensor? term = null;
                if (r > 0) term = (u + (d - r)) * pieces[r - 1];
                if (r < d)
                {
                    var right = ((r + 1) - u) * pieces[r];
                    term = term is null ? right : term + right;
                }
                next.Add(term! / d);
            }
            pieces = next;
        }
        Tensor? total = null;
        for (int r = 0; r <= k; r++)
        {
            var term = padded.take(index + r) * pieces[r];
            total = total is null ? term : total + term;
        }
        var spline = where(inside, total!, zeros_like(total!));
        return c[0] * nn.functional.silu(x) + spline;
    }
}
