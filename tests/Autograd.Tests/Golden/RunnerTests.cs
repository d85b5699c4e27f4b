using System.Text.Json.Nodes;
using Autograd.Conformance;

namespace Autograd.Tests.Golden;

/// <summary>The conformance runner itself: it must pass a correct case, catch a corrupted one and refuse an
/// empty or missing directory (negative controls, so a green golden run means something).</summary>
public sealed class RunnerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("autograd-golden-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void CorrectCasePasses()
    {
        Write("op-mul-x.json", MulCase());
        var (code, output) = RunMain(_dir);
        Assert.Equal(0, code);
        Assert.Contains("op:mul: 1 passed, 0 failed, 0 skipped", output);
        Assert.EndsWith("1 passed, 0 failed, 0 skipped", output.TrimEnd());
    }

    [Fact]
    public void CorruptedGradientFailsWithExitCode1()
    {
        var c = MulCase();
        c["grads"]!["b"]!["data"]![1] = c["grads"]!["b"]!["data"]![1]!.GetValue<double>() + 1e-4;
        Write("op-mul-x.json", c);
        var (code, output) = RunMain(_dir);
        Assert.Equal(1, code);
        Assert.Contains("FAIL op-mul-x (op-mul-x.json): grads.b worst at [1]", output);
        Assert.Contains("op:mul: 0 passed, 1 failed, 0 skipped", output);
        Assert.EndsWith("0 passed, 1 failed, 0 skipped", output.TrimEnd());
    }

    [Fact]
    public void CorruptedGoldenCaseFails()
    {
        Assert.True(GoldenDirectory.Problem is null, GoldenDirectory.Problem);
        var source = Path.Combine(GoldenDirectory.Path, "op-matmul-01.json");
        var c = JsonNode.Parse(File.ReadAllText(source))!;
        var grad = c["grads"]!["a"]!["data"]!;
        grad[2] = grad[2]!.GetValue<double>() * (1 + 1e-5);
        Write("op-matmul-01.json", c);
        var summary = Runner.Run(_dir, TextWriter.Null);
        Assert.Equal(1, summary.ExitCode);
        var failure = Assert.Single(summary.Failures);
        var mismatch = Assert.Single(failure.Mismatches);
        Assert.Equal("grads.a", mismatch.Tensor);
        Assert.Contains("(flat 2)", mismatch.Detail);
    }

    [Fact]
    public void ErrorWithinTheCaseToleranceIsAccepted()
    {
        var c = MulCase();
        c["tolerance"] = new JsonObject { ["atol"] = 1e-3, ["rtol"] = 0.0 };
        c["grads"]!["a"]!["data"]![0] = c["grads"]!["a"]!["data"]![0]!.GetValue<double>() + 1e-4;
        Write("op-mul-x.json", c);
        Assert.Equal(0, RunMain(_dir).Code);
    }

    [Fact]
    public void EmptyDirectoryFails()
    {
        var (code, output) = RunMain(_dir);
        Assert.Equal(1, code);
        Assert.Contains("contains no case files", output);
    }

    [Fact]
    public void MissingDirectoryFails()
    {
        var (code, output) = RunMain(Path.Combine(_dir, "nope"));
        Assert.Equal(1, code);
        Assert.Contains("does not exist", output);
    }

    [Fact]
    public void UnknownKindAndCapabilityAreSkippedWithAReason()
    {
        var cell = MulCase();
        cell["kind"] = "transformer_block";
        cell["name"] = "transformer-x";
        Write("transformer-x.json", cell);
        var bidirectional = MulCase();
        bidirectional["requires"] = new JsonArray("broadcast", "bidirectional");
        Write("op-mul-x.json", bidirectional);
        var (code, output) = RunMain(_dir);
        Assert.Equal(0, code);
        Assert.Contains("skip transformer-x: kind 'transformer_block' not supported yet", output);
        Assert.Contains("skip op-mul-x: requires 'bidirectional'", output);
        Assert.EndsWith("0 passed, 0 failed, 2 skipped", output.TrimEnd());
    }

    [Fact]
    public void FileListedInIndexButMissingFails()
    {
        Write("op-mul-x.json", MulCase());
        Write("index.json", new JsonObject
        {
            ["format"] = GoldenCase.Format,
            ["cases"] = new JsonArray(
                new JsonObject { ["file"] = "op-mul-x.json", ["kind"] = "op:mul" },
                new JsonObject { ["file"] = "op-add-gone.json", ["kind"] = "op:add" }),
        });
        var summary = Runner.Run(_dir, TextWriter.Null);
        Assert.Equal(1, summary.ExitCode);
        var failure = Assert.Single(summary.Failures);
        Assert.Equal(("op:add", "op-add-gone.json"), (failure.Kind, failure.File));
    }

    private static (int Code, string Output) RunMain(string dir)
    {
        var output = new StringWriter();
        int code = Program.Run([dir], output);
        return (code, output.ToString());
    }

    private void Write(string file, JsonNode node) => File.WriteAllText(Path.Combine(_dir, file), node.ToJsonString());

    /// <summary>output = a * b with b broadcast over rows; loss = Σ output·R; ∂/∂a = R·b, ∂/∂b = Σ_rows R·a.</summary>
    private static JsonObject MulCase()
    {
        double[] a = [0.5, -1.25, 2, 3, 0.75, -0.5], b = [1.5, -2, 0.25], r = [1, -0.5, 2, 0.25, 3, -1];
        var y = new double[6];
        var ga = new double[6];
        var gb = new double[3];
        double loss = 0;
        for (int i = 0; i < 6; i++)
        {
            y[i] = a[i] * b[i % 3];
            loss += y[i] * r[i];
            ga[i] = r[i] * b[i % 3];
            gb[i % 3] += r[i] * a[i];
        }
        return new JsonObject
        {
            ["format"] = GoldenCase.Format,
            ["name"] = "op-mul-x",
            ["kind"] = "op:mul",
            ["family"] = "op",
            ["requires"] = new JsonArray("broadcast"),
            ["op"] = "mul",
            ["attrs"] = new JsonObject(),
            ["input_order"] = new JsonArray("a", "b"),
            ["inputs"] = new JsonObject { ["a"] = T(a, 2, 3), ["b"] = T(b, 3) },
            ["outputs"] = new JsonObject { ["output"] = T(y, 2, 3) },
            ["loss"] = new JsonObject { ["weights"] = new JsonObject { ["R_output"] = T(r, 2, 3) }, ["value"] = loss },
            ["grads"] = new JsonObject { ["a"] = T(ga, 2, 3), ["b"] = T(gb, 3) },
        };
    }

    private static JsonObject T(double[] data, params int[] shape) => new()
    {
        ["dtype"] = "float64",
        ["shape"] = new JsonArray(shape.Select(d => (JsonNode)d).ToArray()),
        ["data"] = new JsonArray(data.Select(v => (JsonNode)v).ToArray()),
    };
}
