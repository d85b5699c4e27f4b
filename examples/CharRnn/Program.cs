// The main job: train a character language model on Tiny Shakespeare (the PyTorch script's recipe) and sample from it.
//   dotnet run --project examples/CharRnn -c Release
//   dotnet run --project examples/CharRnn -c Release -- --sample-only
namespace Autograd.Examples.CharRnn;

public static class Program
{
    public static int Main(string[] args)
    {
        if (args is ["--help"] or ["-h"]) { Console.WriteLine(Options.Usage); return 0; }
        Options options;
        try { options = Options.Parse(args); }
        catch (ArgumentException e) { Console.Error.WriteLine($"CharRnn: {e.Message}\n{Options.Usage}"); return 2; }
        try
        {
            if (options.SampleOnly) Trainer.SampleOnly(options, Console.Out);
            else Trainer.Train(options, Console.Out);
            return 0;
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            // A missing data file or a truncated or corrupted checkpoint: the message names the file and the problem.
            Console.Error.WriteLine($"CharRnn: {e.Message}");
            return 1;
        }
    }
}
