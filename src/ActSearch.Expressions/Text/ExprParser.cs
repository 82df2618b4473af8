using System.Globalization;

namespace ActSearch.Expressions;

/// <summary>Limits and defaults for parsing formula text, which may come from untrusted users.</summary>
public sealed record ParseOptions
{
    public static ParseOptions Default { get; } = new();

    /// <summary>Longest accepted text, in characters.</summary>
    public int MaxLength { get; init; } = 10_000;

    /// <summary>Deepest accepted nesting (parentheses, calls, unary minus) and deepest resulting graph.</summary>
    public int MaxDepth { get; init; } = 256;

    /// <summary>Shape of parameters written without <c>{..., scalar|channel}</c>. Layer search spaces use PerChannel.</summary>
    public ParameterShape DefaultParameterShape { get; init; } = ParameterShape.Scalar;

    public PrimitiveRegistry Registry { get; init; } = PrimitiveRegistry.Default;
}

/// <summary>A formula that does not parse. <see cref="Position"/> is the 0-based character offset.</summary>
public sealed class ExprParseException(string message, int position) : FormatException(message)
{
    public int Position { get; } = position;

    /// <summary>1-based column, as printed in messages.</summary>
    public int Column => Position + 1;
}

/// <summary>
/// Reads the infix text form: <c>+ - * / ^</c>, calls like <c>sigmoid(x)</c> or <c>group_var(x, 32)</c>,
/// numbers, <c>x</c>, named constants (<c>pi</c>, <c>e</c>, <c>inf</c>, <c>nan</c>) and learnable parameters
/// (any other identifier; <c>beta{0.5}</c> sets the initial value, <c>v0{0, channel}</c> the shape too).
/// Unary minus binds tighter than * and looser than ^, so <c>-x^2</c> is <c>-(x^2)</c>.
/// </summary>
public static partial class ExprParser
{
    [System.Text.RegularExpressions.GeneratedRegex(@"^(rational|spline)[0-9]+(_|$)")]
    private static partial System.Text.RegularExpressions.Regex CoefficientName();

    public static Expr Parse(string text, ParseOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new Reader(text, options ?? ParseOptions.Default).ParseAll();
    }

    public static bool TryParse(string text, out Expr? expr, out ExprParseException? error, ParseOptions? options = null)
    {
        try
        {
            expr = Parse(text, options);
            error = null;
            return true;
        }
        catch (ExprParseException e)
        {
            expr = null;
            error = e;
            return false;
        }
    }

    public static bool TryParse(string text, out Expr? expr, ParseOptions? options = null) => TryParse(text, out expr, out _, options);

    private enum TokenKind { Number, Identifier, Symbol, Spec, End }

    private readonly record struct Token(TokenKind Kind, string Text, int Position, double Number = 0);

    private sealed class Reader
    {
        private readonly string _text;
        private readonly ParseOptions _options;
        private readonly List<Token> _tokens;
        private readonly Dictionary<string, Parameter> _parameters = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _firstSpec = new(StringComparer.Ordinal);
        private int _index;
        private int _depth;

        public Reader(string text, ParseOptions options)
        {
            _options = options;
            if (text.Length > options.MaxLength)
                throw new ExprParseException($"column {options.MaxLength + 1}: formula longer than {options.MaxLength} characters.", options.MaxLength);
            _text = text;
            _tokens = Tokenize(text);
        }

        public Expr ParseAll()
        {
            if (Current.Kind == TokenKind.End) throw Error(Current.Position, "empty formula.");
            CollectParameterSpecs();
            var e = ParseAdditive();
            if (Current.Kind != TokenKind.End)
                throw Error(Current.Position, Current.Text == ")" ? "unmatched ')'." : $"unexpected '{Current.Text}' after a complete expression.");
            return e;
        }

        private Token Current => _tokens[_index];

        private Token Peek(int ahead) => _tokens[Math.Min(_index + ahead, _tokens.Count - 1)];

        private bool IsSymbol(string s) => Current.Kind == TokenKind.Symbol && Current.Text == s;

        private ExprParseException Error(int position, string message) => new($"column {position + 1}: {message}", position);

        private void Expect(string symbol, string context)
        {
            if (!IsSymbol(symbol))
            {
                string found = Current.Kind == TokenKind.End ? "the end of the formula" : $"'{Current.Text}'";
                throw Error(Current.Position, $"expected '{symbol}' {context}, found {found}.");
            }
            _index++;
        }

        private Expr Checked(Expr e, int position)
        {
            if (e.Depth > _options.MaxDepth) throw Error(position, $"formula nested deeper than {_options.MaxDepth} levels.");
            return e;
        }

        private void Enter(int position)
        {
            if (++_depth > _options.MaxDepth) throw Error(position, $"formula nested deeper than {_options.MaxDepth} levels.");
        }

        private Expr ParseAdditive()
        {
            var left = ParseMultiplicative();
            while (IsSymbol("+") || IsSymbol("-"))
            {
                var op = Current;
                _index++;
                var right = ParseMultiplicative();
                left = Checked(new Binary(_options.Registry.Get(op.Text == "+" ? "add" : "sub"), left, right), op.Position);
            }
            return left;
        }

        private Expr ParseMultiplicative()
        {
            var left = ParseUnary();
            while (IsSymbol("*") || IsSymbol("/"))
            {
                var op = Current;
                _index++;
                var right = ParseUnary();
                left = Checked(new Binary(_options.Registry.Get(op.Text == "*" ? "mul" : "div"), left, right), op.Position);
            }
            return left;
        }

        private Expr ParseUnary()
        {
            if (!IsSymbol("-") && !IsSymbol("+")) return ParsePower();
            var sign = Current;
            Enter(sign.Position);
            _index++;
            Expr result;
            // "-2" is the constant -2 (so printed negative constants read back as constants), but "-2^x" is -(2^x).
            if (sign.Text == "-" && IsNumberLiteral(Current) && !(Peek(1).Kind == TokenKind.Symbol && Peek(1).Text == "^"))
            {
                result = new Constant(-(Current.Kind == TokenKind.Number ? Current.Number : double.PositiveInfinity));
                _index++;
            }
            else
            {
                var operand = ParseUnary();
                result = sign.Text == "-" ? Checked(new Unary(_options.Registry.Get("neg"), operand), sign.Position) : operand;
            }
            _depth--;
            return result;
        }

        private static bool IsNumberLiteral(Token t) => t.Kind == TokenKind.Number || (t.Kind == TokenKind.Identifier && t.Text == "inf");

        private Expr ParsePower()
        {
            var start = Current.Position;
            var @base = ParsePrimary();
            if (!IsSymbol("^")) return @base;
            var op = Current;
            Enter(op.Position);
            _index++;
            var exponent = ParseUnary(); // right-associative: a^b^c = a^(b^c); x^-1 is allowed
            _depth--;
            return Checked(new Binary(_options.Registry.Get("pow"), @base, exponent), start);
        }

        private Expr ParsePrimary()
        {
            var t = Current;
            switch (t.Kind)
            {
                case TokenKind.Number:
                    _index++;
                    return new Constant(t.Number);
                case TokenKind.Identifier:
                    return ParseIdentifier();
                case TokenKind.Symbol when t.Text == "(":
                    Enter(t.Position);
                    _index++;
                    var inner = ParseAdditive();
                    Expect(")", $"to close the '(' at column {t.Position + 1}");
                    _depth--;
                    return inner;
                case TokenKind.End:
                    throw Error(t.Position, "unexpected end of the formula; an operand is missing.");
                default:
                    throw Error(t.Position, $"unexpected '{t.Text}'; expected a number, x, a parameter, a call or '('.");
            }
        }

        private Expr ParseIdentifier()
        {
            var t = Current;
            _index++;
            string name = t.Text;
            bool call = IsSymbol("(");
            if (name == "x")
            {
                if (call) throw Error(t.Position, "'x' is the input, not a function.");
                return Variable.Instance;
            }
            if (LearnedUnit.IsFamily(name)) return ParseLearnedUnit(t);
            if (PrimitiveRegistry.NamedConstants.TryGetValue(name, out double value))
            {
                if (call) throw Error(t.Position, $"'{name}' is a constant, not a function.");
                return new Constant(value);
            }
            if (_options.Registry.TryGet(name, out var primitive))
            {
                if (!call)
                    throw Error(t.Position, $"'{name}' is a primitive; call it as {name}({(primitive.Arity == 2 ? "a, b" : "x")}).");
                return ParseCall(primitive, t);
            }
            if (call) throw Error(t.Position, $"unknown function '{name}'.{Suggest(name)}");
            return ParseParameter(t);
        }

        // rational{5, 4}(x): the spec token after the family name reads as one primitive, called like any unary.
        private Expr ParseLearnedUnit(Token family)
        {
            if (Current.Kind != TokenKind.Spec)
                throw Error(family.Position, family.Text == "rational"
                    ? "'rational' is a learned unit; write it with its degrees, as rational{5, 4}(x)."
                    : "'spline' is a learned unit; write it with its order and grid, as spline{3, 8}(x).");
            var spec = Current;
            _index++;
            Primitive primitive;
            try
            {
                primitive = LearnedUnit.Parse(family.Text + spec.Text).Primitive;
            }
            catch (LearnedUnitSpecException e)
            {
                throw Error(spec.Position + Math.Max(0, e.Position - family.Text.Length), e.Message);
            }
            if (!IsSymbol("(")) throw Error(family.Position, $"'{primitive.Name}' is a learned unit; call it as {primitive.Name}(x).");
            return ParseCall(primitive, family);
        }

        private string Suggest(string name)
        {
            var best = _options.Registry.All
                .Select(p => (p.Name, Distance: EditDistance(name, p.Name)))
                .Where(p => p.Distance <= 2)
                .OrderBy(p => p.Distance).ThenBy(p => p.Name, StringComparer.Ordinal)
                .Select(p => p.Name).FirstOrDefault();
            return best is null ? "" : $" Did you mean '{best}'?";
        }

        private static int EditDistance(string a, string b)
        {
            if (Math.Abs(a.Length - b.Length) > 2) return 3;
            var prev = new int[b.Length + 1];
            var cur = new int[b.Length + 1];
            for (int j = 0; j <= b.Length; j++) prev[j] = j;
            for (int i = 1; i <= a.Length; i++)
            {
                cur[0] = i;
                for (int j = 1; j <= b.Length; j++)
                    cur[j] = Math.Min(Math.Min(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                (prev, cur) = (cur, prev);
            }
            return prev[b.Length];
        }

        private Expr ParseCall(Primitive op, Token name)
        {
            var open = Current;
            Enter(open.Position);
            _index++;
            var args = new List<Expr>();
            if (!IsSymbol(")"))
            {
                args.Add(ParseAdditive());
                while (IsSymbol(","))
                {
                    _index++;
                    if (op.Kind == PrimitiveKind.Aggregate && op.Axes == AggregateAxes.Group && args.Count == 1)
                    {
                        args.Add(ParseGroupCount(name));
                        break;
                    }
                    args.Add(ParseAdditive());
                }
            }
            Expect(")", $"to close the call of '{name.Text}' at column {name.Position + 1}");
            _depth--;
            Expr result;
            switch (op.Kind)
            {
                case PrimitiveKind.Unary when args.Count == 1:
                    result = new Unary(op, args[0]);
                    break;
                case PrimitiveKind.Binary when args.Count == 2:
                    result = new Binary(op, args[0], args[1]);
                    break;
                case PrimitiveKind.Aggregate when args.Count == 1 || (args.Count == 2 && op.Axes == AggregateAxes.Group):
                    int groups = op.Axes == AggregateAxes.Group ? (args.Count == 2 ? (int)((Constant)args[1]).Value : Aggregate.DefaultGroups) : 0;
                    result = new Aggregate(op, args[0], groups);
                    break;
                default:
                    string expected = op.Kind == PrimitiveKind.Aggregate && op.Axes == AggregateAxes.Group
                        ? "1 or 2 arguments (the input and a group count)" : $"{op.Arity} argument{(op.Arity == 1 ? "" : "s")}";
                    throw Error(name.Position, $"'{op.Name}' takes {expected}, got {args.Count}.");
            }
            return Checked(result, name.Position);
        }

        private Constant ParseGroupCount(Token name)
        {
            var t = Current;
            if (t.Kind != TokenKind.Number || t.Number != Math.Floor(t.Number) || t.Number < 1 || t.Number > 65536)
                throw Error(t.Position, $"the group count of '{name.Text}' must be a whole number from 1 to 65536.");
            _index++;
            return new Constant(t.Number);
        }

        // First pass: the explicit spec of each parameter, so a bare use before it refers to the same parameter.
        private void CollectParameterSpecs()
        {
            int saved = _index;
            for (int i = 0; i < _tokens.Count - 1; i++)
            {
                var t = _tokens[i];
                if (t.Kind != TokenKind.Identifier || _tokens[i + 1].Text != "{") continue;
                if (_firstSpec.ContainsKey(t.Text)) continue;
                _index = i + 1;
                var spec = ReadSpec(t);
                _parameters[t.Text] = new Parameter(t.Text, spec.Initial, spec.Shape);
                _firstSpec[t.Text] = t.Position;
            }
            _index = saved;
        }

        private Expr ParseParameter(Token name)
        {
            if (CoefficientName().IsMatch(name.Text))
                throw Error(name.Position, $"'{name.Text}' is how learned units and their coefficients are named (rational0, rational0_p1); give the parameter another name.");
            if (!IsSymbol("{"))
            {
                if (!_parameters.TryGetValue(name.Text, out var existing))
                    _parameters[name.Text] = existing = new Parameter(name.Text, 1.0, _options.DefaultParameterShape);
                return existing;
            }
            var spec = ReadSpec(name);
            var p = _parameters[name.Text];
            if (!p.Initial.Equals(spec.Initial) || p.Shape != spec.Shape)
                throw Error(name.Position, $"parameter '{name.Text}' is declared differently at column {_firstSpec[name.Text] + 1}.");
            return p;
        }

        private (double Initial, ParameterShape Shape) ReadSpec(Token name)
        {
            var open = Current;
            _index++; // '{'
            double initial = 1.0;
            var shape = _options.DefaultParameterShape;
            bool any = false;
            if (Current.Kind == TokenKind.Number || IsSymbol("-"))
            {
                bool negative = IsSymbol("-");
                if (negative) _index++;
                if (Current.Kind != TokenKind.Number)
                    throw Error(Current.Position, $"expected the initial value of '{name.Text}'.");
                initial = negative ? -Current.Number : Current.Number;
                _index++;
                any = true;
                if (IsSymbol(",")) _index++;
                else if (!IsSymbol("}")) throw Error(Current.Position, $"expected ',' or '}}' in the declaration of '{name.Text}'.");
            }
            if (Current.Kind == TokenKind.Identifier)
            {
                shape = Current.Text switch
                {
                    "scalar" => ParameterShape.Scalar,
                    "channel" => ParameterShape.PerChannel,
                    _ => throw Error(Current.Position, $"unknown parameter shape '{Current.Text}'; use 'scalar' or 'channel'."),
                };
                _index++;
                any = true;
            }
            if (!any) throw Error(Current.Position, $"expected an initial value or a shape (scalar, channel) for '{name.Text}'.");
            Expect("}", $"to close the declaration of '{name.Text}' at column {open.Position + 1}");
            return (initial, shape);
        }

        private List<Token> Tokenize(string text)
        {
            var tokens = new List<Token>();
            int i = 0;
            while (i < text.Length)
            {
                char c = text[i];
                if (char.IsWhiteSpace(c))
                {
                    i++;
                    continue;
                }
                int start = i;
                if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
                {
                    while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
                    if (i < text.Length && text[i] == '.')
                    {
                        i++;
                        while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
                    }
                    if (i < text.Length && (text[i] == 'e' || text[i] == 'E'))
                    {
                        int save = i;
                        i++;
                        if (i < text.Length && (text[i] == '+' || text[i] == '-')) i++;
                        if (i < text.Length && char.IsAsciiDigit(text[i]))
                            while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
                        else
                            i = save; // "2e" is the number 2 followed by the constant e: reported by the grammar
                    }
                    string s = text[start..i];
                    double v = double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
                    if (double.IsInfinity(v)) throw Error(start, $"number '{s}' is out of range.");
                    tokens.Add(new Token(TokenKind.Number, s, start, v));
                }
                else if (char.IsAsciiLetter(c) || c == '_')
                {
                    while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_')) i++;
                    string word = text[start..i];
                    tokens.Add(new Token(TokenKind.Identifier, word, start));
                    int brace = i;
                    while (brace < text.Length && char.IsWhiteSpace(text[brace])) brace++;
                    if (LearnedUnit.IsFamily(word) && brace < text.Length && text[brace] == '{')
                    {
                        // A learned unit's spec has its own grammar (init=gelu, coef=[...]): one token up to the closing brace.
                        int close = text.IndexOf('}', brace);
                        if (close < 0) throw Error(brace, $"'{{' of {word} is never closed.");
                        tokens.Add(new Token(TokenKind.Spec, text[brace..(close + 1)], brace));
                        i = close + 1;
                    }
                }
                else if ("+-*/^(),{}".Contains(c))
                {
                    i++;
                    tokens.Add(new Token(TokenKind.Symbol, c.ToString(), start));
                }
                else
                {
                    string shown = char.IsControl(c) ? $"U+{(int)c:X4}" : c.ToString();
                    throw Error(start, $"unexpected character '{shown}'.");
                }
            }
            tokens.Add(new Token(TokenKind.End, "", text.Length));
            return tokens;
        }
    }
}
