namespace Autograd.Properties;

/// <summary>Every primitive has a row: a new primitive without one fails here, listing the uncovered types.</summary>
public sealed class CoverageTests
{
    // Each row's function built once at the upper end of its ranges (at the lower end some ops are no-ops that
    // record nothing, e.g. a slice of everything), as the nodes of its graph.
    private static IEnumerable<Tensor> Nodes(Row r) => Graph.Nodes(r.Build(r.Hi, r.Inputs(r.Hi, seed: 1)));

    [Fact]
    public void Every_concrete_primitive_is_reached_by_a_row()
    {
        var all = typeof(Primitive).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(Primitive)) && !t.IsAbstract)
            .ToHashSet();
        Assert.Contains(all, t => t.Name == "TanhOp"); // the reflection query itself finds primitives
        var seen = PrimitiveTable.Rows.SelectMany(Nodes).Where(n => n.Op is not null).Select(n => n.Op!.GetType()).ToHashSet();
        var uncovered = all.Except(seen).Select(t => t.FullName).Order().ToList();
        Assert.True(uncovered.Count == 0, "Primitives with no row in PrimitiveTable: " + string.Join(", ", uncovered));
    }

    [Fact]
    public void Every_row_records_the_primitive_it_is_named_after()
    {
        var wrong = PrimitiveTable.Rows.Where(r => !Nodes(r).Any(n => n.Op?.Name == r.Name)).Select(r => r.ToString()).ToList();
        Assert.True(wrong.Count == 0, "Rows whose graph has no node of their name: " + string.Join(", ", wrong));
    }
}
