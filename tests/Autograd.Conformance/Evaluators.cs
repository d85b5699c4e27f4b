namespace Autograd.Conformance;

/// <summary>What the library computed for a case: named outputs, the scalar loss and named gradients.</summary>
public sealed record Evaluation(
    IReadOnlyDictionary<string, GoldenTensor> Outputs,
    double Loss,
    IReadOnlyDictionary<string, GoldenTensor> Grads);

/// <summary>Computes one kind of golden case with the library. Registered per kind in <see cref="Evaluators"/>.</summary>
public interface ICaseEvaluator
{
    /// <summary>Null when the case can be evaluated, else why it is skipped (e.g. an unsupported <c>requires</c>).</summary>
    string? Unsupported(GoldenCase golden);

    /// <summary>Runs the case's forward pass, loss and gradients with the library.</summary>
    Evaluation Evaluate(GoldenCase golden);
}

/// <summary>The kind → evaluator table the runner uses, and why the kinds not in it are not there yet.</summary>
public static class Evaluators
{
    /// <summary>Every supported kind: the ops and the recurrent sequences and cells.</summary>
    public static IReadOnlyDictionary<string, ICaseEvaluator> Default { get; } =
        OpCases.All().Concat(RecurrentCases.All()).ToDictionary(p => p.Key, p => p.Value);

    /// <summary>The skip reason for a kind that has no evaluator.</summary>
    public static string NotSupported(string kind) => $"kind '{kind}' not supported yet";

    /// <summary>The first capability in <paramref name="requires"/> outside <paramref name="supported"/>, as a skip reason.</summary>
    public static string? MissingCapability(IEnumerable<string> requires, IReadOnlySet<string> supported, string kind)
    {
        var missing = requires.FirstOrDefault(r => !supported.Contains(r));
        return missing is null ? null : $"requires '{missing}', not supported yet for kind '{kind}'";
    }
}
