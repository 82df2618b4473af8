using ActSearch.Evaluation.Torch.Compilation;
using ActSearch.Expressions;
using TorchSharp;
using static TorchSharp.torch;

namespace ActSearch.Evaluation.Torch.Tasks;

/// <summary>Makes the activation (or normalization-activation layer) for a slot with the given channel count.</summary>
public delegate nn.Module<Tensor, Tensor> SlotFactory(int channels);

/// <summary>Ready-made slot factories: a candidate expression, or the hand-written baselines it is compared with.</summary>
public static class Slots
{
    /// <summary>
    /// The candidate: a scalar activation compiles to an <see cref="ExprModule"/>; a graph with tensor statistics to a
    /// <see cref="NormActivationLayer"/> (with its affine gamma, beta).
    /// </summary>
    public static SlotFactory For(Expr candidate, bool fuse = false) => ForKind(candidate, candidate.HasAggregates(), fuse);

    /// <summary>
    /// A formula as a <paramref name="layer"/> (with the affine gamma, beta of <see cref="NormActivationLayer"/>) or as an
    /// activation (an <see cref="ExprModule"/>, statistics and all: PolyNorm normalizes inside the activation).
    /// </summary>
    public static SlotFactory ForKind(Expr candidate, bool layer, bool fuse = false) => channels => layer
        ? new NormActivationLayer(candidate, channels)
        : ExprModule.Compile(candidate, new ExprCompileOptions { Channels = channels, FuseKnownPatterns = fuse });

    /// <summary>TorchSharp's built-in SiLU (the hand-written reference for <c>x * sigmoid(x)</c>).</summary>
    public static SlotFactory BuiltInSilu { get; } = _ => nn.SiLU();

    public static SlotFactory BuiltInRelu { get; } = _ => nn.ReLU();

    /// <summary>BatchNorm followed by ReLU: what norm-activation candidates replace in the layer tasks.</summary>
    public static SlotFactory BatchNormRelu { get; } = channels => nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU());
}

/// <summary>
/// The proxy architectures. Every place a network would have an activation (or a BN+ReLU pair, in the ResNet)
/// is a slot filled by a <see cref="SlotFactory"/>. Widths are multiples of 32 so EvoNorm's 32-group statistics fit.
/// </summary>
public static class ProxyNetworks
{
    /// <summary>784 -> 128 -> 64 -> 10 on flattened images.</summary>
    public static nn.Module<Tensor, Tensor> Mlp(SlotFactory slot, int inputs = 784, int classes = 10, int hidden1 = 128, int hidden2 = 64) =>
        nn.Sequential(nn.Flatten(), nn.Linear(inputs, hidden1), slot(hidden1), nn.Linear(hidden1, hidden2), slot(hidden2), nn.Linear(hidden2, classes));

    /// <summary>A small CNN for 28x28 images: two 3x3 convolutions of 32 channels with max pooling, then a linear classifier.</summary>
    public static nn.Module<Tensor, Tensor> Cnn(SlotFactory slot, int classes = 10) => nn.Sequential(
        nn.Conv2d(1, 32, 3, padding: 1), slot(32), nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 3, padding: 1), slot(32), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, classes));

    /// <summary>
    /// A small pre-activation-free ResNet for 28x28 images: a stride-2 stem (32 channels, 14x14), one residual block at
    /// 32 channels and one at 64 channels with stride 2 (7x7), global average pooling, a linear classifier. Each
    /// BN+ReLU pair of the usual design is one slot (convolutions without bias, as before BatchNorm).
    /// </summary>
    public static nn.Module<Tensor, Tensor> ResNet(SlotFactory slot, int classes = 10) => nn.Sequential(
        nn.Conv2d(1, 32, 3, stride: 2, padding: 1, bias: false), slot(32),
        new ResidualBlock(32, 32, 1, slot),
        new ResidualBlock(32, 64, 2, slot),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, classes));

    /// <summary>
    /// A plain MLP of <paramref name="depth"/> linear layers of <paramref name="width"/> units without normalization,
    /// LeCun-normal initialised (as in the SELU paper), so only self-normalizing or trainable activations keep it trainable.
    /// </summary>
    public static nn.Module<Tensor, Tensor> DeepMlp(SlotFactory slot, int inputs = 784, int classes = 10, int depth = 20, int width = 64)
    {
        var layers = new List<nn.Module<Tensor, Tensor>> { nn.Flatten() };
        for (int i = 0; i < depth - 1; i++)
        {
            var linear = nn.Linear(i == 0 ? inputs : width, width);
            LeCunNormal(linear);
            layers.Add(linear);
            layers.Add(slot(width));
        }
        var head = nn.Linear(width, classes);
        LeCunNormal(head);
        layers.Add(head);
        return nn.Sequential(layers);
    }

    /// <summary>
    /// A plain VGG-style CNN for 28x28 images without residual connections: two 3x3 convolutions at 32 channels, max
    /// pooling (14x14), two at 64 channels, max pooling (7x7), global average pooling and a linear classifier. Each
    /// BN+ReLU pair of the usual design is one slot (convolutions without bias), so layers found on the ResNet meet a
    /// network where nothing bypasses them.
    /// </summary>
    public static nn.Module<Tensor, Tensor> PlainCnn(SlotFactory slot, int classes = 10) => nn.Sequential(
        nn.Conv2d(1, 32, 3, padding: 1, bias: false), slot(32),
        nn.Conv2d(32, 32, 3, padding: 1, bias: false), slot(32), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding: 1, bias: false), slot(64),
        nn.Conv2d(64, 64, 3, padding: 1, bias: false), slot(64), nn.MaxPool2d(2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, classes));

    /// <summary>
    /// <see cref="PlainCnn"/> on 8x8 images given as 64 pixel values per row (scikit-learn's digits): the rows become one
    /// channel of 8x8, then the same four slotted convolutions (pooling to 4x4 and 2x2). The architecture of fmnist-vgg on
    /// other data, so a layer that gains there meets a second plain network whose data it has never seen.
    /// </summary>
    public static nn.Module<Tensor, Tensor> DigitsCnn(SlotFactory slot, int classes = 10) =>
        nn.Sequential(nn.Unflatten(1, [1, 8, 8]), PlainCnn(slot, classes));

    /// <summary>
    /// A MobileNetV2-like CNN for 28x28 images: a stride-2 stem (32 channels, 14x14), three inverted residual blocks
    /// (1x1 expansion, 3x3 depthwise convolution, 1x1 linear projection; 32 -> 32, 32 -> 64 with stride 2 to 7x7, 64 -> 64,
    /// expansion 2), a 1x1 convolution to 128 channels, global average pooling and a linear classifier. Each BN+ReLU6 pair
    /// of the usual design is one slot (convolutions before a slot without bias). The projections stay linear and carry no
    /// normalization (a convolution with bias, where MobileNetV2 has a lone BatchNorm), so the candidate layers are the only
    /// normalization in the network, and half of the slots see depthwise convolutions, which mix no channels.
    /// </summary>
    public static nn.Module<Tensor, Tensor> MobileNet(SlotFactory slot, int classes = 10) => nn.Sequential(
        nn.Conv2d(1, 32, 3, stride: 2, padding: 1, bias: false), slot(32),
        new InvertedResidualBlock(32, 32, 1, 2, slot),
        new InvertedResidualBlock(32, 64, 2, 2, slot),
        new InvertedResidualBlock(64, 64, 1, 2, slot),
        nn.Conv2d(64, 128, 1, bias: false), slot(128),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, classes));

    /// <summary>
    /// A character-level decoder-only transformer: token and learned position embeddings, <paramref name="layers"/>
    /// pre-norm blocks (causal multi-head self-attention, then a feed-forward block, each added to the residual stream),
    /// a final LayerNorm and a linear head. The input is [batch, context] character ids as floats; the output
    /// [batch, context, vocabulary] logits. The feed-forward block is W2 f(W1 x) with the slot as f, or with
    /// <paramref name="gated"/> W2 (a * f(b)) for [a, b] = W1 x (a GLU variant), each at the given hidden width.
    /// </summary>
    public static nn.Module<Tensor, Tensor> CharTransformer(SlotFactory slot, int vocabulary, int context = 64, int width = 64, int layers = 2,
        int heads = 4, int hidden = 256, bool gated = false) =>
        new CharLm(slot, vocabulary, context, width, layers, heads, hidden, gated);

    /// <summary>1 -> 32 -> 32 -> 1 for fitting a smooth curve.</summary>
    public static nn.Module<Tensor, Tensor> Regressor(SlotFactory slot, int width = 32) =>
        nn.Sequential(nn.Linear(1, width), slot(width), nn.Linear(width, width), slot(width), nn.Linear(width, 1));

    private static void LeCunNormal(TorchSharp.Modules.Linear linear)
    {
        using var _ = no_grad();
        long fanIn = linear.weight!.shape[1];
        linear.weight.normal_(0, 1 / Math.Sqrt(fanIn));
        linear.bias?.zero_();
    }

    private sealed class CharLm : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.Embedding tokens, positions;
        private readonly TorchSharp.Modules.ModuleList<nn.Module<Tensor, Tensor>> blocks;
        private readonly nn.Module<Tensor, Tensor> norm, head;

        public CharLm(SlotFactory slot, int vocabulary, int context, int width, int layers, int heads, int hidden, bool gated) : base("CharLm")
        {
            if (width % heads != 0) throw new ArgumentException($"Width {width} is not a multiple of {heads} heads.", nameof(heads));
            tokens = nn.Embedding(vocabulary, width);
            positions = nn.Embedding(context, width);
            blocks = nn.ModuleList<nn.Module<Tensor, Tensor>>([.. Enumerable.Range(0, layers).Select(_ => new TransformerBlock(slot, width, heads, hidden, gated))]);
            norm = nn.LayerNorm(width);
            head = nn.Linear(width, vocabulary);
            RegisterComponents();
        }

        public override Tensor forward(Tensor ids)
        {
            var x = ids.to_type(ScalarType.Int64);
            var h = tokens.forward(x) + positions.forward(arange(x.shape[1], dtype: ScalarType.Int64, device: x.device));
            foreach (var block in blocks) h = block.forward(h);
            return head.forward(norm.forward(h));
        }
    }

    /// <summary>x + attention(norm(x)), then + feed-forward(norm(x)); the feed-forward block holds the slot.</summary>
    private sealed class TransformerBlock : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> norm1, qkv, projection, norm2, up, act, down;
        private readonly int _heads, _hidden;
        private readonly bool _gated;

        public TransformerBlock(SlotFactory slot, int width, int heads, int hidden, bool gated) : base("TransformerBlock")
        {
            _heads = heads;
            _hidden = hidden;
            _gated = gated;
            norm1 = nn.LayerNorm(width);
            qkv = nn.Linear(width, 3 * width);
            projection = nn.Linear(width, width);
            norm2 = nn.LayerNorm(width);
            up = nn.Linear(width, gated ? 2 * hidden : hidden);
            act = slot(hidden);
            down = nn.Linear(hidden, width);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            long batch = x.shape[0], time = x.shape[1], width = x.shape[2];
            // [batch, time, 3, heads, head width] -> three [batch, heads, time, head width]
            var parts = qkv.forward(norm1.forward(x)).view(batch, time, 3, _heads, width / _heads).permute(2, 0, 3, 1, 4);
            var attended = nn.functional.scaled_dot_product_attention(parts[0], parts[1], parts[2], is_casual: true);
            x = x + projection.forward(attended.transpose(1, 2).reshape(batch, time, width));
            // The slot sees [positions, channels] (channels on dimension 1, as it expects), and the result is put back.
            var u = up.forward(norm2.forward(x)).reshape(batch * time, -1);
            var f = _gated ? u.narrow(1, 0, _hidden) * act.forward(u.narrow(1, _hidden, _hidden)) : act.forward(u);
            return x + down.forward(f).view(batch, time, width);
        }
    }

    /// <summary>conv-slot-conv (+ projection shortcut when the shape changes), then a slot after the addition.</summary>
    private sealed class ResidualBlock : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> conv1, act1, conv2, act2;
        private readonly nn.Module<Tensor, Tensor>? shortcut;

        public ResidualBlock(int inputs, int outputs, int stride, SlotFactory slot) : base("ResidualBlock")
        {
            conv1 = nn.Conv2d(inputs, outputs, 3, stride: stride, padding: 1, bias: false);
            act1 = slot(outputs);
            conv2 = nn.Conv2d(outputs, outputs, 3, padding: 1, bias: false);
            act2 = slot(outputs);
            if (stride != 1 || inputs != outputs) shortcut = nn.Conv2d(inputs, outputs, 1, stride: stride, bias: false);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var y = conv2.forward(act1.forward(conv1.forward(x)));
            return act2.forward(y + (shortcut is null ? x : shortcut.forward(x)));
        }
    }

    /// <summary>
    /// MobileNetV2's inverted residual block with its two BN+ReLU6 pairs as slots: expand (1x1), slot, depthwise 3x3
    /// (stride <c>stride</c>), slot, project (1x1, linear); the input is added back when the shapes match.
    /// </summary>
    private sealed class InvertedResidualBlock : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> expand, act1, depthwise, act2, project;
        private readonly bool residual;

        public InvertedResidualBlock(int inputs, int outputs, int stride, int expansion, SlotFactory slot) : base("InvertedResidualBlock")
        {
            int hidden = inputs * expansion;
            expand = nn.Conv2d(inputs, hidden, 1, bias: false);
            act1 = slot(hidden);
            depthwise = nn.Conv2d(hidden, hidden, 3, stride: stride, padding: 1, groups: hidden, bias: false);
            act2 = slot(hidden);
            project = nn.Conv2d(hidden, outputs, 1);
            residual = stride == 1 && inputs == outputs;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var y = project.forward(act2.forward(depthwise.forward(act1.forward(expand.forward(x)))));
            return residual ? y + x : y;
        }
    }
}
