using System.Collections.Immutable;
using ActSearch.Evolution;
using ActSearch.Expressions;

namespace ActSearch.Grains;

// Core types cross the wire through these surrogates, so ActSearch.Expressions and ActSearch.Evolution never
// reference Orleans. Genomes travel as GraphJson text: it keeps node sharing and every number's bits.
// Orleans picks a codec by the value's runtime type, so each concrete type gets its own converter.

[GenerateSerializer, Immutable, Alias("ActSearch.ExprSurrogate.v1")]
public struct ExprSurrogate
{
    [Id(0)] public string Graph;
}

/// <summary>Shared by the converters of the concrete <see cref="Expr"/> node types.</summary>
public static class ExprWire
{
    public static ExprSurrogate To(Expr value) => new() { Graph = GraphJson.Serialize(value) };

    public static T From<T>(in ExprSurrogate surrogate) where T : Expr =>
        GraphJson.Deserialize(surrogate.Graph) as T
        ?? throw new FormatException($"The graph on the wire is not a {typeof(T).Name}.");
}

[RegisterConverter]
public sealed class VariableConverter : IConverter<Variable, ExprSurrogate>
{
    public Variable ConvertFromSurrogate(in ExprSurrogate surrogate) => ExprWire.From<Variable>(surrogate);

    public ExprSurrogate ConvertToSurrogate(in Variable value) => ExprWire.To(value);
}

[RegisterConverter]
public sealed class ConstantConverter : IConverter<Constant, ExprSurrogate>
{
    public Constant ConvertFromSurrogate(in ExprSurrogate surrogate) => ExprWire.From<Constant>(surrogate);

    public ExprSurrogate ConvertToSurrogate(in Constant value) => ExprWire.To(value);
}

[RegisterConverter]
public sealed class ParameterConverter : IConverter<Parameter, ExprSurrogate>
{
    public Parameter ConvertFromSurrogate(in ExprSurrogate surrogate) => ExprWire.From<Parameter>(surrogate);

    public ExprSurrogate ConvertToSurrogate(in Parameter value) => ExprWire.To(value);
}

[RegisterConverter]
public sealed class UnaryConverter : IConverter<Unary, ExprSurrogate>
{
    public Unary ConvertFromSurrogate(in ExprSurrogate surrogate) => ExprWire.From<Unary>(surrogate);

    public ExprSurrogate ConvertToSurrogate(in Unary value) => ExprWire.To(value);
}

[RegisterConverter]
public sealed class BinaryConverter : IConverter<Binary, ExprSurrogate>
{
    public Binary ConvertFromSurrogate(in ExprSurrogate surrogate) => ExprWire.From<Binary>(surrogate);

    public ExprSurrogate ConvertToSurrogate(in Binary value) => ExprWire.To(value);
}

[RegisterConverter]
public sealed class AggregateConverter : IConverter<Aggregate, ExprSurrogate>
{
    public Aggregate ConvertFromSurrogate(in ExprSurrogate surrogate) => ExprWire.From<Aggregate>(surrogate);

    public ExprSurrogate ConvertToSurrogate(in Aggregate value) => ExprWire.To(value);
}

[GenerateSerializer, Immutable, Alias("ActSearch.CandidateSurrogate.v1")]
public struct CandidateSurrogate
{
    [Id(0)] public long Id;
    [Id(1)] public string Genome;
    [Id(2)] public int Generation;
    [Id(3)] public ImmutableArray<long> ParentIds;
    [Id(4)] public string Operator;
    [Id(5)] public ulong Fingerprint;
    [Id(6)] public int Rung;
}

[RegisterConverter]
public sealed class CandidateConverter : IConverter<Candidate, CandidateSurrogate>
{
    public Candidate ConvertFromSurrogate(in CandidateSurrogate surrogate) => new(
        surrogate.Id,
        GraphJson.Deserialize(surrogate.Genome),
        surrogate.Generation,
        surrogate.ParentIds.IsDefault ? [] : surrogate.ParentIds,
        surrogate.Operator,
        new Fingerprint(surrogate.Fingerprint),
        surrogate.Rung);

    public CandidateSurrogate ConvertToSurrogate(in Candidate value) => new()
    {
        Id = value.Id,
        Genome = GraphJson.Serialize(value.Genome),
        Generation = value.Generation,
        ParentIds = value.ParentIds,
        Operator = value.Operator,
        Fingerprint = value.Fingerprint.Value,
        Rung = value.Rung,
    };
}

[GenerateSerializer, Immutable, Alias("ActSearch.EvaluatedSurrogate.v1")]
public struct EvaluatedSurrogate
{
    [Id(0)] public ImmutableArray<double> Objectives;
    [Id(1)] public string? Refined;
}

[RegisterConverter]
public sealed class EvaluatedConverter : IConverter<CandidateOutcome.Evaluated, EvaluatedSurrogate>
{
    public CandidateOutcome.Evaluated ConvertFromSurrogate(in EvaluatedSurrogate surrogate) => new(
        surrogate.Objectives.IsDefault ? [] : surrogate.Objectives,
        surrogate.Refined is { } r ? GraphJson.Deserialize(r) : null);

    public EvaluatedSurrogate ConvertToSurrogate(in CandidateOutcome.Evaluated value) => new()
    {
        Objectives = value.Objectives,
        Refined = value.Refined is { } r ? GraphJson.Serialize(r) : null,
    };
}

[GenerateSerializer, Immutable, Alias("ActSearch.RejectedSurrogate.v1")]
public struct RejectedSurrogate
{
    [Id(0)] public string Stage;
    [Id(1)] public string Reason;
}

[RegisterConverter]
public sealed class RejectedConverter : IConverter<CandidateOutcome.Rejected, RejectedSurrogate>
{
    public CandidateOutcome.Rejected ConvertFromSurrogate(in RejectedSurrogate surrogate) => new(surrogate.Stage, surrogate.Reason);

    public RejectedSurrogate ConvertToSurrogate(in CandidateOutcome.Rejected value) => new() { Stage = value.Stage, Reason = value.Reason };
}

[GenerateSerializer, Immutable, Alias("ActSearch.FailedSurrogate.v1")]
public struct FailedSurrogate
{
    [Id(0)] public string Error;
}

[RegisterConverter]
public sealed class FailedConverter : IConverter<CandidateOutcome.Failed, FailedSurrogate>
{
    public CandidateOutcome.Failed ConvertFromSurrogate(in FailedSurrogate surrogate) => new(surrogate.Error);

    public FailedSurrogate ConvertToSurrogate(in CandidateOutcome.Failed value) => new() { Error = value.Error };
}

[GenerateSerializer, Immutable, Alias("ActSearch.CancelledSurrogate.v1")]
public struct CancelledSurrogate;

[RegisterConverter]
public sealed class CancelledConverter : IConverter<CandidateOutcome.Cancelled, CancelledSurrogate>
{
    public CandidateOutcome.Cancelled ConvertFromSurrogate(in CancelledSurrogate surrogate) => CandidateOutcome.Cancelled.Instance;

    public CancelledSurrogate ConvertToSurrogate(in CandidateOutcome.Cancelled value) => default;
}
