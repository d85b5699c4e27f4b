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
// The benchmarks run under the .NET default GC (workstation, background). `--blocking-gc` runs them under the
// non-concurrent workstation GC instead (<ConcurrentGarbageCollection>false</ConcurrentGarbageCollection> in an app's
// project), which gives the young generation a larger budget: see docs/benchmarks.md for what it changes.
bool blockingGc = args.Contains("--blocking-gc");
var config = DefaultConfig.Instance.AddColumn(StatisticColumn.Median, StatisticColumn.Min);
if (blockingGc) config = config.AddJob(Job.Default.WithGcConcurrent(false));
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args.Where(a => a != "--blocking-gc").ToArray(), config);
