using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Autograd.Data;
using Autograd.IO;
using Autograd.Nn;
using Autograd.Optim;
using Autograd.Training;

namespace Autograd.Examples.CharRnn;

/// <summary>What a training run did: the steps it ran, its loss curves, the final validation loss and the time it took.</summary>
/// <param name="FirstStep">The first step this run trained (1, or the saved step + 1 on resume).</param>
/// <param name="LastStep">The last step trained.</param>
/// <param name="Train">(step, mean training loss) points, one per log interval, including a resumed run's history.</param>
/// <param name="Validation">(step, validation loss) points.</param>
/// <param name="ValidationLoss">The final validation loss in nats/char.</param>
/// <param name="TrainSeconds">Time in the training loop (forward, backward, clipping, Adam), without evaluation and sampling.</param>
/// <param name="Sample">The last generated sample.</param>
/// <param name="Model">The trained parameters (the same as saved in the checkpoint).</param>
public sealed record TrainResult(int FirstStep, int LastStep, ImmutableList<(double Step, double Loss)> Train,
    ImmutableList<(double Step, double Loss)> Validation, double ValidationLoss, double TrainSeconds, string Sample, CharModel Model);

/// <summary>The training loop of the PyTorch script (truncated BPTT over B streams, Adam, global-norm clipping), plus
/// evaluation, samples, checkpoints and the loss plot.</summary>
public static class Trainer
{
    private const string PositionKey = "train.position", TrainHistoryKey = "history.train", ValidationHistoryKey = "history.validation";

    /// <summary>Trains per <paramref name="o"/> (resuming from <see cref="Options.Resume"/> when given), writing progress to <paramref name="log"/>.</summary>
    public static TrainResult Train(Options o, TextWriter log)
    {
        string text = ReadText(o);
        TrainingCheckpoint<CharModel, AdamState>? saved = null;
        Vocabulary vocab;
        if (o.Resume is { } resume)
        {
            (saved, o) = Load(resume, o);
            vocab = saved.Vocabulary!;
        }
        else vocab = Vocabulary.FromText(text);
        var (trainIds, validIds) = DataSplit.TrainValidation(vocab.Encode(text));
        var streams = new TokenStreams(trainIds, o.Batch);
        var validation = new TokenStreams(validIds, o.Batch);

        var model = saved?.Parameters ?? CharModel.Create(o.Cell, vocab.Size, o.Embed, o.Hidden, o.Layers, new Random(o.Seed));
        var names = model.ParameterNames();
        var adam = new Adam(o.Lr);
        var opt = saved?.OptimizerState ?? adam.Init(model);
        int position = saved is null ? 0 : int.Parse(saved.Metadata![PositionKey], CultureInfo.InvariantCulture);
        var trainCurve = saved is null ? [] : History(saved.Metadata!, TrainHistoryKey);
        var validCurve = saved is null ? [] : History(saved.Metadata!, ValidationHistoryKey);
        int first = opt.Step + 1;
        var sampleRng = new Random(o.Seed + first);

        string start = first > 1 ? $"resuming at step {first}" : "from scratch";
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{o.Cell} char model: vocab {vocab.Size}, embed {o.Embed}, hidden {o.Hidden} x {o.Layers}, {Tree.Flatten(model).Sum(t => t.Size):N0} parameters; {trainIds.Length:N0} train / {validIds.Length:N0} validation chars; batch {o.Batch} x seq {o.Seq}, Adam {o.Lr}, clip {o.Clip}; {start}, steps {first}..{o.Steps}"));
        var progress = new Progress(log, o.Live, o.Steps, o.LogEvery, o.Batch * o.Seq);
        RecurrentState? state = null;
        var clock = new Stopwatch();
        double intervalLoss = 0, validLoss = double.NaN;
        int intervalCount = 0;
        string sample = "";

        void Save() => Checkpoint.SaveTraining(o.CheckpointPath, new TrainingCheckpoint<CharModel, AdamState>(model, opt, vocab, o.ModelConfigJson(),
            ImmutableDictionary<string, string>.Empty.Add(PositionKey, position.ToString(CultureInfo.InvariantCulture))
                .Add(TrainHistoryKey, JsonSerializer.Serialize(trainCurve.Select(p => new[] { p.Step, p.Loss })))
                .Add(ValidationHistoryKey, JsonSerializer.Serialize(validCurve.Select(p => new[] { p.Step, p.Loss })))), names);

        Directory.CreateDirectory(o.Out);
        for (int step = first; step <= o.Steps; step++)
        {
            clock.Start();
            (var window, position) = streams.TrainingWindow(position, o.Seq);
            var carried = window.Reset ? null : state;
            var (loss, next, grads) = Ad.ValueAndGrad((CharModel p) => CharModel.Forward(p, window, carried), model);
            (grads, _) = Clip.ByGlobalNorm(grads, o.Clip);
            (model, opt) = adam.Step(model, grads, opt);
            state = next;   // ValueAndGrad returns the state cut from the graph: truncated BPTT across windows
            double l = loss.Item();
            clock.Stop();

            intervalLoss += l;
            intervalCount++;
            progress.Step(step, l, step - first + 1, clock.Elapsed.TotalSeconds);
            if (intervalCount == Math.Max(1, o.LogEvery) || step == o.Steps)
            {
                trainCurve = trainCurve.Add((step, intervalLoss / intervalCount));
                (intervalLoss, intervalCount) = (0, 0);
            }
            if (!double.IsFinite(l)) throw new InvalidOperationException($"step {step}: the loss is {l}.");
            if (step == o.Steps || (o.EvalEvery > 0 && step % o.EvalEvery == 0))
            {
                validLoss = Evaluate(model, validation, o.Seq);
                validCurve = validCurve.Add((step, validLoss));
                progress.Line(string.Create(CultureInfo.InvariantCulture,
                    $"step {step}  validation {validLoss:F4} nats/char  perplexity {Losses.Perplexity(validLoss):F3}"));
                Save();
                LossPlot.WriteSvg(o.PlotPath, [("train", trainCurve), ("validation", validCurve)], $"{o.Cell} char model, {vocab.Size} symbols");
            }
            if (step == o.Steps || (o.SampleEvery > 0 && step % o.SampleEvery == 0))
            {
                sample = Sample(model, vocab, o, sampleRng);
                progress.Line($"--- sample at step {step} ---\n{sample}\n---");
            }
        }
        progress.Done();
        double seconds = clock.Elapsed.TotalSeconds;
        int trained = Math.Max(0, o.Steps - first + 1);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"final  val_loss {validLoss:F4} nats/char  perplexity {Losses.Perplexity(validLoss):F3}  train_time {seconds:F1} s  ({trained * (double)o.Batch * o.Seq / Math.Max(seconds, 1e-9):N0} chars/s)"));
        log.WriteLine($"wrote {o.CheckpointPath} and {o.PlotPath}");
        return new TrainResult(first, o.Steps, trainCurve, validCurve, validLoss, seconds, sample, model);
    }

    /// <summary>Loads the checkpoint at <paramref name="path"/> and prints <paramref name="count"/> samples from it.</summary>
    public static void SampleOnly(Options o, TextWriter log, int count = 1)
    {
        var (saved, options) = Load(o.Resume ?? o.CheckpointPath, o);
        var rng = new Random(options.Seed);
        for (int i = 0; i < count; i++) log.WriteLine(Sample(saved.Parameters, saved.Vocabulary!, options, rng));
    }

    /// <summary>The script's <c>evaluate()</c>: mean loss over the validation streams, carrying the state across windows.</summary>
    public static double Evaluate(CharModel model, TokenStreams streams, int seq) =>
        streams.Evaluate<RecurrentState?>(seq, null, (s, w) =>
        {
            var (loss, next) = CharModel.Forward(model, w, w.Reset ? null : s);
            return (next.Detach(), loss.Item());
        });

    /// <summary>A checkpoint written by <see cref="Train"/> and the options with its model shape.</summary>
    public static (TrainingCheckpoint<CharModel, AdamState> Saved, Options Options) Load(string path, Options o)
    {
        var meta = Checkpoint.Load(path).Metadata;
        if (!meta.TryGetValue(Checkpoint.ConfigKey, out var config) || !meta.TryGetValue(Checkpoint.VocabularyKey, out var vocabJson))
            throw new InvalidDataException($"{path}: not a CharRnn checkpoint (no config or vocabulary in its metadata).");
        o = o.WithModelConfig(config);
        var template = CharModel.Create(o.Cell, Vocabulary.FromJson(vocabJson).Size, o.Embed, o.Hidden, o.Layers, new Random(0));
        return (Checkpoint.LoadTraining<CharModel, AdamState>(path, template, template.ParameterNames()), o);
    }

    private static string Sample(CharModel model, Vocabulary vocab, Options o, Random rng)
    {
        var prime = vocab.Encode(o.Prime.Length > 0 ? o.Prime : "\n");
        var ids = Sampling.Generate<RecurrentState?>(prime, null, model.Next, o.SampleLength, o.Temperature, null, rng);
        return o.Prime + vocab.Decode(ids);
    }

    private static string ReadText(Options o)
    {
        string text = File.ReadAllText(o.DataPath());
        return o.Limit > 0 && o.Limit < text.Length ? text[..o.Limit] : text;
    }

    private static ImmutableList<(double Step, double Loss)> History(IReadOnlyDictionary<string, string> meta, string key) =>
        meta.TryGetValue(key, out var json) ? [.. JsonSerializer.Deserialize<double[][]>(json)!.Select(p => (p[0], p[1]))] : [];
}
