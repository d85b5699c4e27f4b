namespace Autograd.Tests.Examples;

/// <summary>Every example runs (tiny sizes where it has sizes) and reports success.</summary>
public class ExampleSmokeTests
{
    [Fact]
    public void Tour_runs_and_its_update_lowers_the_loss()
    {
        var output = new StringWriter();
        var previous = Console.Out;
        Console.SetOut(output);
        int code;
        try { code = Autograd.Examples.Tour.Program.Main(); }
        finally { Console.SetOut(previous); }
        Assert.Equal(0, code);
        Assert.Contains("loss", output.ToString());
        Assert.Contains("tanh", output.ToString());
    }
}
