using System.Text.Json;
using Autograd;
using Autograd.Nn;
using static Autograd.Ops;

namespace Autograd.Tests.Golden;

/// <summary>
/// Evaluates a golden recurrent case (<c>/work/shared/golden</c>, families <c>sequence</c> and <c>cell</c>) with the
/// library: builds the layer or cell from the PyTorch-named parameters, runs it in float64, forms the case's loss
/// Σ_k sum(outputs[k] ⊙ R_k) and differentiates it with <see cref="Ad.ValueAndGrad{P, A}"/> over (x, h0, c0, layer).
/// Results are flat row-major arrays keyed like the file: <c>outputs.&lt;name&gt;</c>, <c>loss</c>,
/// <c>grads.&lt;name&gt;</c>. Self-contained (System.Text.Json only) so a conformance runner can take it over.
/// </summary>
public static class RecurrentCases
{
    /// <summary>The kinds this evaluator handles.</summary>
    public static readonly IReadOnlySet<string> Kinds = new HashSet<string>
    {
        "rnn_tanh", "rnn_relu", "lstm", "gru", "rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell",
    };

    /// <summary>The library's values for a case, keyed <c>outputs.*</c>, <c>loss</c>, <c>grads.*</c>.</summary>
    public static Dictionary<string, double[]> Evaluate(JsonElement caseRoot)
    {
        string kind = caseRoot.GetProperty("kind").GetString()!;
        var p = ReadMap(caseRoot.GetProperty("params"));
        var act = kind.StartsWith("rnn_relu") ? RnnNonlinearity.Relu : RnnNonlinearity.Tanh;
        return kind switch
        {
            "rnn_tanh" or "rnn_relu" => Run(caseRoot, Rnn.FromNamedParameters(p, act), Sequence(false),
                (l, x, h, _) => { var (o, hn) = l.Forward(x, h); return [o, hn]; }, l => l.NamedParameters()),
            "gru" => Run(caseRoot, Gru.FromNamedParameters(p), Sequence(false),
                (l, x, h, _) => { var (o, hn) = l.Forward(x, h); return [o, hn]; }, l => l.NamedParameters()),
            "lstm" => Run(caseRoot, Lstm.FromNamedParameters(p), Sequence(true),
                (l, x, h, c) => { var (o, hn, cn) = l.Forward(x, h, c); return [o, hn, cn]; }, l => l.NamedParameters()),
            "rnn_tanh_cell" or "rnn_relu_cell" => Run(caseRoot, RnnCell.FromNamedParameters(p, act), Cell(false),
                (c, x, h, _) => [c.Step(h ?? c.ZeroState(x.Shape[0]), x).Carry], c => c.NamedParameters()),
            "gru_cell" => Run(caseRoot, GruCell.FromNamedParameters(p), Cell(false),
                (c, x, h, _) => [c.Step(h ?? c.ZeroState(x.Shape[0]), x).Carry], c => c.NamedParameters()),
            "lstm_cell" => Run(caseRoot, LstmCell.FromNamedParameters(p), Cell(true), (cell, x, h, c) =>
            {
                var s = cell.Step(h is null ? cell.ZeroState(x.Shape[0]) : new LstmState(h, c!), x).Carry;
                return [s.H, s.C];
            }, c => c.NamedParameters()),
            _ => throw new NotSupportedException($"RecurrentCases: kind '{kind}' is not a recurrent sequence or cell kind."),
        };
    }

    /// <summary>The expected values of a case, keyed like <see cref="Evaluate"/>.</summary>
    public static Dictionary<string, double[]> Expected(JsonElement caseRoot)
    {
        var r = new Dictionary<string, double[]>();
        foreach (var o in caseRoot.GetProperty("outputs").EnumerateObject()) r["outputs." + o.Name] = ReadData(o.Value);
        r["loss"] = [caseRoot.GetProperty("loss").GetProperty("value").GetDouble()];
        foreach (var g in caseRoot.GetProperty("grads").EnumerateObject()) r["grads." + g.Name] = ReadData(g.Value);
        return r;
    }

    /// <summary>A float64 tensor from <c>{"dtype", "shape", "data"}</c> (row-major).</summary>
    public static Tensor ReadTensor(JsonElement t)
    {
        var shape = t.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        return Tensor.FromArray(ReadData(t), shape);
    }

    private static double[] ReadData(JsonElement t) => t.GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();

    private static Dictionary<string, Tensor> ReadMap(JsonElement obj) =>
        obj.EnumerateObject().ToDictionary(p => p.Name, p => ReadTensor(p.Value));

    // Input names (x, first state, second state) and output names of the two families.
    private sealed record Names(string[] Inputs, string[] Outputs);

    private static Names Sequence(bool lstm) => new(["x", "h0", "c0"], lstm ? ["output", "h_n", "c_n"] : ["output", "h_n"]);

    private static Names Cell(bool lstm) => new(["x", "h", "c"], lstm ? ["h_next", "c_next"] : ["h_next"]);

    private static Dictionary<string, double[]> Run<L>(JsonElement root, L model, Names names,
        Func<L, Tensor, Tensor?, Tensor?, Tensor[]> forward, Func<L, IReadOnlyList<(string Name, Tensor Value)>> named)
    {
        var inputs = ReadMap(root.GetProperty("inputs"));
        var weights = ReadMap(root.GetProperty("loss").GetProperty("weights"));
        Tensor? Input(string n) => inputs.TryGetValue(n, out var t) ? t : null;
        var primal = (X: inputs[names.Inputs[0]], S0: Input(names.Inputs[1]), S1: Input(names.Inputs[2]), Model: model);

        var (loss, outputs, g) = Ad.ValueAndGrad(((Tensor X, Tensor? S0, Tensor? S1, L Model) a) =>
        {
            var outs = forward(a.Model, a.X, a.S0, a.S1);
            var total = Sum(outs[0] * weights["R_" + names.Outputs[0]]);
            for (int i = 1; i < outs.Length; i++) total = total + Sum(outs[i] * weights["R_" + names.Outputs[i]]);
            return (total, outs);
        }, primal);

        var r = new Dictionary<string, double[]>();
        for (int i = 0; i < outputs.Length; i++) r["outputs." + names.Outputs[i]] = outputs[i].ToDoubleArray();
        r["loss"] = [loss.Item()];
        r["grads." + names.Inputs[0]] = g.X.ToDoubleArray();
        if (g.S0 is not null) r["grads." + names.Inputs[1]] = g.S0.ToDoubleArray();
        if (g.S1 is not null) r["grads." + names.Inputs[2]] = g.S1.ToDoubleArray();
        foreach (var (name, value) in named(g.Model)) r["grads." + name] = value.ToDoubleArray();
        return r;
    }
}
