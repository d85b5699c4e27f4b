using Autograd.Nn;
using static Autograd.Ops;

namespace Autograd.Conformance;

/// <summary>
/// Evaluates the recurrent kinds (<c>rnn_tanh</c>, <c>rnn_relu</c>, <c>lstm</c>, <c>gru</c> and their <c>_cell</c>
/// forms): builds the layer or cell from the PyTorch-named parameters, runs it in float64, forms the loss
/// Σ_k sum(outputs[k] ⊙ R_k) and differentiates it with <see cref="Ad.ValueAndGrad{P, A}"/> over (x, h0, c0, model).
/// </summary>
public static class RecurrentCases
{
    /// <summary>The <c>requires</c> capabilities of the recurrent cases, all supported.</summary>
    public static readonly IReadOnlySet<string> Capabilities =
        new HashSet<string> { "multilayer", "bidirectional", "default_initial_state" };

    /// <summary>An evaluator for every recurrent kind.</summary>
    public static Dictionary<string, ICaseEvaluator> All()
    {
        static RnnNonlinearity Act(GoldenCase g) => g.Kind.StartsWith("rnn_relu", StringComparison.Ordinal) ? RnnNonlinearity.Relu : RnnNonlinearity.Tanh;
        ICaseEvaluator Sequence(Func<GoldenCase, Dictionary<string, Tensor>, Evaluation> run) => new Evaluator(run);
        return new Dictionary<string, ICaseEvaluator>
        {
            ["rnn_tanh"] = Sequence((g, p) => Run(g, Rnn.FromNamedParameters(p, Act(g)), Seq(false), (l, x, h, _) => { var (o, hn) = l.Forward(x, h); return [o, hn]; }, l => l.NamedParameters())),
            ["rnn_relu"] = Sequence((g, p) => Run(g, Rnn.FromNamedParameters(p, Act(g)), Seq(false), (l, x, h, _) => { var (o, hn) = l.Forward(x, h); return [o, hn]; }, l => l.NamedParameters())),
            ["gru"] = Sequence((g, p) => Run(g, Gru.FromNamedParameters(p), Seq(false), (l, x, h, _) => { var (o, hn) = l.Forward(x, h); return [o, hn]; }, l => l.NamedParameters())),
            ["lstm"] = Sequence((g, p) => Run(g, Lstm.FromNamedParameters(p), Seq(true), (l, x, h, c) => { var (o, hn, cn) = l.Forward(x, h, c); return [o, hn, cn]; }, l => l.NamedParameters())),
            ["rnn_tanh_cell"] = Sequence((g, p) => Run(g, RnnCell.FromNamedParameters(p, Act(g)), Cell(false), (c, x, h, _) => [c.Step(h ?? c.ZeroState(x.Shape[0]), x).Carry], c => c.NamedParameters())),
            ["rnn_relu_cell"] = Sequence((g, p) => Run(g, RnnCell.FromNamedParameters(p, Act(g)), Cell(false), (c, x, h, _) => [c.Step(h ?? c.ZeroState(x.Shape[0]), x).Carry], c => c.NamedParameters())),
            ["gru_cell"] = Sequence((g, p) => Run(g, GruCell.FromNamedParameters(p), Cell(false), (c, x, h, _) => [c.Step(h ?? c.ZeroState(x.Shape[0]), x).Carry], c => c.NamedParameters())),
            ["lstm_cell"] = Sequence((g, p) => Run(g, LstmCell.FromNamedParameters(p), Cell(true), (cell, x, h, c) =>
            {
                var s = cell.Step(h is null ? cell.ZeroState(x.Shape[0]) : new LstmState(h, c!), x).Carry;
                return [s.H, s.C];
            }, c => c.NamedParameters())),
        };
    }

    private sealed class Evaluator(Func<GoldenCase, Dictionary<string, Tensor>, Evaluation> run) : ICaseEvaluator
    {
        public string? Unsupported(GoldenCase golden) => Evaluators.MissingCapability(golden.Requires, Capabilities, golden.Kind);

        public Evaluation Evaluate(GoldenCase golden) =>
            run(golden, golden.Params.ToDictionary(p => p.Key, p => p.Value.ToTensor()));
    }

    // Input names (x, first state, second state) and output names of the two families.
    private sealed record Names(string[] Inputs, string[] Outputs);

    private static Names Seq(bool lstm) => new(["x", "h0", "c0"], lstm ? ["output", "h_n", "c_n"] : ["output", "h_n"]);

    private static Names Cell(bool lstm) => new(["x", "h", "c"], lstm ? ["h_next", "c_next"] : ["h_next"]);

    private static Evaluation Run<L>(GoldenCase golden, L model, Names names,
        Func<L, Tensor, Tensor?, Tensor?, Tensor[]> forward, Func<L, IReadOnlyList<(string Name, Tensor Value)>> named)
    {
        Tensor? Input(string n) => golden.Inputs.TryGetValue(n, out var t) ? t.ToTensor() : null;
        var primal = (X: golden.Input(names.Inputs[0]).ToTensor(), S0: Input(names.Inputs[1]), S1: Input(names.Inputs[2]), Model: model);

        var (loss, outputs, g) = Ad.ValueAndGrad(((Tensor X, Tensor? S0, Tensor? S1, L Model) a) =>
        {
            var outs = forward(a.Model, a.X, a.S0, a.S1);
            var total = Sum(outs[0] * golden.Weight(names.Outputs[0]).ToTensor());
            for (int i = 1; i < outs.Length; i++) total += Sum(outs[i] * golden.Weight(names.Outputs[i]).ToTensor());
            return (total, outs);
        }, primal);

        var grads = new Dictionary<string, GoldenTensor> { [names.Inputs[0]] = GoldenTensor.From(g.X) };
        if (g.S0 is not null) grads[names.Inputs[1]] = GoldenTensor.From(g.S0);
        if (g.S1 is not null) grads[names.Inputs[2]] = GoldenTensor.From(g.S1);
        foreach (var (name, value) in named(g.Model)) grads[name] = GoldenTensor.From(value);
        return new Evaluation(
            names.Outputs.Zip(outputs).ToDictionary(p => p.First, p => GoldenTensor.From(p.Second)),
            loss.Item(),
            grads);
    }
}
