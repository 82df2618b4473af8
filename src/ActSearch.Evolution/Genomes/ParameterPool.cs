using System.Globalization;
using ActSearch.Expressions;

namespace ActSearch.Evolution;

/// <summary>
/// The learnable parameters of one genome under construction: new ones get fresh names (v0, v1, ...) and
/// reused ones are the same object, so a graph never holds two different parameters with one name.
/// </summary>
internal sealed class ParameterPool
{
    private readonly List<Parameter> _parameters = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Vocabulary _vocabulary;

    public ParameterPool(Vocabulary vocabulary, Expr? existing = null)
    {
        _vocabulary = vocabulary;
        if (existing is not null)
            foreach (var p in existing.Parameters()) Add(p);
    }

    public IReadOnlyList<Parameter> Parameters => _parameters;

    public bool CanCreate => _parameters.Count < _vocabulary.Options.MaxParameters;

    public void Add(Parameter p)
    {
        if (_names.Add(p.Name)) _parameters.Add(p);
    }

    public bool Contains(string name) => _names.Contains(name);

    /// <summary>A parameter to use at one more place: an existing one (half the time, or when no more may be made) or a new one.</summary>
    public Parameter? Draw(Rng rng)
    {
        bool reuse = _parameters.Count > 0 && (!CanCreate || rng.NextBool());
        if (reuse) return rng.Choose(_parameters);
        if (!CanCreate) return null;
        var p = new Parameter(FreshName(), rng.Choose(_vocabulary.Initials), _vocabulary.Options.ParameterShape);
        Add(p);
        return p;
    }

    /// <summary>The smallest vK not yet taken.</summary>
    public string FreshName()
    {
        for (int k = 0; ; k++)
        {
            string name = "v" + k.ToString(CultureInfo.InvariantCulture);
            if (!_names.Contains(name)) return name;
        }
    }

    /// <summary>A terminal: x, a constant from the list, or a parameter, each kind equally likely.</summary>
    public Expr Terminal(Rng rng)
    {
        var v = _vocabulary;
        int kinds = 1 + (v.Constants.Length > 0 ? 1 : 0) + (v.Options.MaxParameters > 0 ? 1 : 0);
        int k = rng.NextInt(kinds);
        if (k == 0) return Expr.X;
        if (k == 1 && v.Constants.Length > 0) return new Constant(rng.Choose(v.Constants));
        return (Expr?)Draw(rng) ?? Expr.X;
    }

    /// <summary>A terminal other than x (the second operand of a core unit).</summary>
    public Expr NonInputTerminal(Rng rng)
    {
        var v = _vocabulary;
        bool constants = v.Constants.Length > 0, parameters = v.Options.MaxParameters > 0 && (CanCreate || _parameters.Count > 0);
        if (constants && (!parameters || rng.NextBool())) return new Constant(rng.Choose(v.Constants));
        return parameters ? Draw(rng)! : Expr.X;
    }
}
