using System.Text.Json;
using System.Text.Json.Nodes;

namespace ActSearch.Expressions;

/// <summary>
/// The JSON form of a graph: a node list in post-order (children by index) and the root's index. It keeps
/// node sharing, and every number round-trips bit for bit (non-finite numbers are the strings "NaN",
/// "Infinity", "-Infinity"), so checkpoints that store genomes this way resume exactly.
/// </summary>
public static class GraphJson
{
    public static JsonObject ToJson(Expr expr)
    {
        var nodes = expr.Nodes();
        var index = new Dictionary<Expr, int>(ReferenceEqualityComparer.Instance);
        var array = new JsonArray();
        foreach (var n in nodes)
        {
            var o = new JsonObject();
            switch (n)
            {
                case Variable:
                    o["kind"] = "input";
                    break;
                case Constant c:
                    o["kind"] = "constant";
                    o["value"] = Number(c.Value);
                    break;
                case Parameter p:
                    o["kind"] = "parameter";
                    o["name"] = p.Name;
                    o["initial"] = Number(p.Initial);
                    o["shape"] = p.Shape == ParameterShape.PerChannel ? "channel" : "scalar";
                    break;
                case Unary u:
                    o["kind"] = "unary";
                    o["op"] = u.Op.Name;
                    o["args"] = new JsonArray(index[u.Arg]);
                    break;
                case Binary b:
                    o["kind"] = "binary";
                    o["op"] = b.Op.Name;
                    o["args"] = new JsonArray(index[b.Left], index[b.Right]);
                    break;
                case Aggregate a:
                    o["kind"] = "aggregate";
                    o["op"] = a.Op.Name;
                    o["args"] = new JsonArray(index[a.Arg]);
                    if (a.Op.Axes == AggregateAxes.Group) o["groups"] = a.Groups;
                    break;
            }
            index[n] = array.Count;
            array.Add(o);
        }
        return new JsonObject { ["nodes"] = array, ["root"] = index[expr] };
    }

    public static string Serialize(Expr expr) => ToJson(expr).ToJsonString();

    public static Expr Deserialize(string json, PrimitiveRegistry? registry = null) =>
        FromJson(JsonNode.Parse(json) ?? throw new FormatException("Empty graph JSON."), registry);

    /// <summary>Reads a graph back; malformed input gives a <see cref="FormatException"/> naming the node.</summary>
    public static Expr FromJson(JsonNode json, PrimitiveRegistry? registry = null)
    {
        var r = registry ?? PrimitiveRegistry.Default;
        try
        {
            var nodes = json["nodes"]?.AsArray() ?? throw new FormatException("Graph JSON has no 'nodes' array.");
            var built = new List<Expr>(nodes.Count);
            for (int i = 0; i < nodes.Count; i++)
            {
                var o = nodes[i]?.AsObject() ?? throw new FormatException($"Node {i} is not an object.");
                string kind = (string?)o["kind"] ?? throw new FormatException($"Node {i} has no 'kind'.");
                Expr Arg(int k)
                {
                    int at = (int?)o["args"]?[k] ?? throw new FormatException($"Node {i} lacks argument {k}.");
                    if (at < 0 || at >= i) throw new FormatException($"Node {i} refers to node {at}, which does not come before it.");
                    return built[at];
                }
                Primitive Op()
                {
                    string name = (string?)o["op"] ?? throw new FormatException($"Node {i} has no 'op'.");
                    return r.TryGet(name, out var p) ? p : throw new FormatException($"Node {i} uses unknown primitive '{name}'.");
                }
                built.Add(kind switch
                {
                    "input" => Variable.Instance,
                    "constant" => new Constant(ReadNumber(o["value"], i)),
                    "parameter" => new Parameter((string?)o["name"] ?? throw new FormatException($"Node {i} has no 'name'."),
                        ReadNumber(o["initial"], i), (string?)o["shape"] == "channel" ? ParameterShape.PerChannel : ParameterShape.Scalar),
                    "unary" => new Unary(Op(), Arg(0)),
                    "binary" => new Binary(Op(), Arg(0), Arg(1)),
                    "aggregate" => new Aggregate(Op(), Arg(0), (int?)o["groups"] ?? 0),
                    _ => throw new FormatException($"Node {i} has unknown kind '{kind}'."),
                });
            }
            int root = (int?)json["root"] ?? throw new FormatException("Graph JSON has no 'root'.");
            if (root < 0 || root >= built.Count) throw new FormatException($"Root {root} is not a node.");
            return built[root];
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or JsonException)
        {
            throw new FormatException($"Malformed graph JSON: {e.Message}", e);
        }
    }

    private static JsonNode Number(double v) => JsonNumbers.Write(v);

    private static double ReadNumber(JsonNode? node, int i)
    {
        try
        {
            return JsonNumbers.Read(node);
        }
        catch (FormatException e)
        {
            throw new FormatException($"Node {i}: {e.Message}");
        }
    }
}

/// <summary>
/// Doubles in JSON that round-trip bit for bit: finite values as the shortest number text that reads back
/// exactly, non-finite ones as the strings "NaN", "Infinity", "-Infinity" (JSON has no literal for them).
/// </summary>
public static class JsonNumbers
{
    public static JsonNode Write(double v) => double.IsFinite(v)
        ? JsonValue.Create(v)
        : JsonValue.Create(double.IsNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");

    public static double Read(JsonNode? node)
    {
        if (node is JsonValue v)
        {
            if (v.TryGetValue(out double d)) return d;
            if (v.TryGetValue(out string? s))
                return s switch
                {
                    "NaN" => double.NaN,
                    "Infinity" => double.PositiveInfinity,
                    "-Infinity" => double.NegativeInfinity,
                    _ => throw new FormatException($"'{s}' is not a number."),
                };
        }
        throw new FormatException("a number is missing.");
    }
}
