namespace ActSearch.Expressions;

/// <summary>
/// The NCHW shape of a layer input laid out row-major. An NC input (a dense layer's) is NCHW with H = W = 1,
/// so instance statistics of an NC input are over a single element.
/// </summary>
public readonly record struct TensorShape(int N, int C, int H = 1, int W = 1)
{
    public int Length => checked(N * C * H * W);

    public override string ToString() => H == 1 && W == 1 ? $"({N}, {C})" : $"({N}, {C}, {H}, {W})";
}
