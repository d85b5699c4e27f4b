using Autograd.Benchmarks;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

// Run from the repository root, in Release:
//   dotnet run -c Release --project tests/Autograd.Benchmarks -- --filter '*W6*'
// Workloads are defined in ../shared/bench/WORKLOADS.md; the PyTorch side is ../shared/bench/torch, which reports
// medians: the Median column is the one to compare with it (the Mean carries the machine's outliers).
//
// `-- peak-w3 [iterations]` runs W3 (H = 512) in this process, outside BenchmarkDotNet, for a peak-memory reading:
//   dotnet build -c Release tests/Autograd.Benchmarks && /usr/bin/time -v dotnet tests/Autograd.Benchmarks/bin/Release/net10.0/Autograd.Benchmarks.dll peak-w3
if (args is ["peak-w3", ..])
{
    var w3 = new W3_LstmLarge { Hidden = 512 };
    w3.Setup();
    int iterations = args.Length > 1 ? int.Parse(args[1]) : 20;
    for (int i = 0; i < iterations; i++) w3.BuiltIn();
    Console.WriteLine($"W3 built-in, H = 512: {iterations} iterations of forward + backward");
    return;
}
// `-- w2-interleaved [windows] [seconds]` alternates W2's built-in layer and user-composed cell call by call, in this
// process, and prints each window's medians and their ratio. BenchmarkDotNet runs the two one after the other, in two
// processes, and on this shared machine they often land in different phases of its load: the ratio of two such runs moved
// from 1.1 to 1.6 within minutes. Alternating gives both the same conditions.
if (args is ["w2-interleaved", ..])
{
    var w2 = new W2_LstmCharLm();
    w2.Setup();
    int windows = args.Length > 1 ? int.Parse(args[1]) : 6;
    double seconds = args.Length > 2 ? double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 3;
    for (int w = 0; w <= windows; w++)
    {
        var (builtIn, composed) = (new List<double>(), new List<double>());
        for (var clock = System.Diagnostics.Stopwatch.StartNew(); clock.Elapsed.TotalSeconds < seconds;)
        {
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            w2.BuiltIn();
            long t1 = System.Diagnostics.Stopwatch.GetTimestamp();
            w2.Composed();
            builtIn.Add(System.Diagnostics.Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
            composed.Add(System.Diagnostics.Stopwatch.GetElapsedTime(t1).TotalMilliseconds);
        }
        builtIn.Sort();
        composed.Sort();
        double b = builtIn[builtIn.Count / 2], c = composed[composed.Count / 2];
        // Window 0 is the warm-up (JIT tiers, pools filling).
        Console.WriteLine($"window {w}{(w == 0 ? " (warm-up)" : "")}: {builtIn.Count} pairs, built-in median {b:F2} ms, composed {c:F2} ms, composed / built-in {c / b:F2}");
    }
    return;
}
// The benchmarks run under the .NET default GC (workstation, background). `--blocking-gc` runs them under the
// non-concurrent workstation GC instead (<ConcurrentGarbageCollection>false</ConcurrentGarbageCollection> in an app's
// project), which gives the young generation a larger budget: see docs/benchmarks.md for what it changes.
//
// `--per-call` times one call per iteration (300 of them, after 100 warm-up calls), so the Median column is the median
// of single calls, the statistic ../shared/bench/torch/common.py reports. The default job's iterations each average many
// calls, so on a host whose load comes in bursts its median sits nearer the mean of the calls. Meant for the
// millisecond workloads (W2, W4), e.g. `-- --filter '*W2*' --per-call`; see docs/benchmarks.md (twelfth session).
bool blockingGc = args.Contains("--blocking-gc"), perCall = args.Contains("--per-call");
var config = DefaultConfig.Instance.AddColumn(StatisticColumn.Median, StatisticColumn.Min);
var job = Job.Default;
if (blockingGc) job = job.WithGcConcurrent(false);
if (perCall) job = job.WithInvocationCount(1).WithUnrollFactor(1).WithIterationCount(300).WithWarmupCount(100);
if (blockingGc || perCall) config = config.AddJob(job);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args.Where(a => a is not ("--blocking-gc" or "--per-call")).ToArray(), config);
