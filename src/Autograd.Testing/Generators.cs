using FsCheck;
using FsCheck.Fluent;

namespace Autograd.Testing;

/// <summary>
/// FsCheck generators and shrinkers of shapes and float64 tensors for gradient properties. Shapes shrink toward
/// fewer and smaller axes (down to 1×1 or a scalar); tensor values shrink toward 0 within their <see cref="Domain"/>.
/// <c>Prop.ForAll(Generators.TensorArb(Domain.Positive), x =&gt; GradCheck.Check(Ops.Log, x).Passed)</c>.
/// </summary>
public static class Generators
{
    private const int Resolution = 1 << 30;

    /// <summary>Shapes of rank <paramref name="minRank"/>..<paramref name="maxRank"/> with axes of size 1..<paramref name="maxAxis"/>.</summary>
    public static Gen<Shape> Shape(int minRank = 0, int maxRank = 3, int maxAxis = 4)
    {
        if (minRank < 0 || maxRank < minRank || maxAxis < 1)
            throw new ArgumentOutOfRangeException(nameof(maxRank), $"Generators.Shape: need 0 <= minRank <= maxRank and maxAxis >= 1, got {minRank}, {maxRank}, {maxAxis}.");
        return Gen.Choose(minRank, maxRank)
            .SelectMany(rank => Gen.ArrayOf(Gen.Choose(1, maxAxis), rank))
            .Select(dims => Autograd.Shape.Of(dims));
    }

    /// <summary>Smaller shapes than <paramref name="shape"/>: one axis dropped (keeping rank ≥ <paramref name="minRank"/>),
    /// or one axis made 1 or halved.</summary>
    public static IEnumerable<Shape> ShrinkShape(Shape shape, int minRank = 0)
    {
        var dims = shape.ToArray();
        if (dims.Length > minRank)
            for (int a = 0; a < dims.Length; a++) yield return Autograd.Shape.Of([.. dims[..a], .. dims[(a + 1)..]]);
        for (int a = 0; a < dims.Length; a++)
            foreach (var n in ShrinkSize(dims[a]))
            {
                var d = (int[])dims.Clone();
                d[a] = n;
                yield return Autograd.Shape.Of(d);
            }
    }

    /// <summary>A value of <paramref name="domain"/> (uniform on a fine grid).</summary>
    public static Gen<double> Value(Domain domain) =>
        Gen.Zip(Gen.Choose(0, Resolution - 1), Gen.Elements(false, true), (i, neg) => domain.FromUniform((double)i / Resolution, neg));

    /// <summary>A float64 tensor of <paramref name="shape"/> with values from <paramref name="domain"/>.</summary>
    public static Gen<Tensor> Tensor(Shape shape, Domain domain) =>
        Gen.ArrayOf(Value(domain), shape.Size).Select(v => Autograd.Tensor.FromArray(v, shape.ToArray()));

    /// <summary>A float64 tensor of a generated shape (see <see cref="Shape"/>) with values from <paramref name="domain"/>.</summary>
    public static Gen<Tensor> Tensor(Domain domain, int minRank = 0, int maxRank = 3, int maxAxis = 4) =>
        Shape(minRank, maxRank, maxAxis).SelectMany(s => Tensor(s, domain));

    /// <summary>Smaller or simpler tensors than <paramref name="x"/>: a shrunk shape keeping the leading values, then
    /// all values at the domain's point nearest 0, then single values moved there.</summary>
    public static IEnumerable<Tensor> ShrinkTensor(Tensor x, Domain domain, int minRank = 0)
    {
        var v = x.ToDoubleArray();
        foreach (var s in ShrinkShape(x.Shape, minRank)) yield return Autograd.Tensor.FromArray(v[..s.Size], s.ToArray());
        var zeroed = v.Select(e => domain.NearestZero(e)).ToArray();
        if (!zeroed.SequenceEqual(v)) yield return Autograd.Tensor.FromArray(zeroed, x.Shape.ToArray());
        for (int i = 0, tried = 0; i < v.Length && tried < 8; i++)
        {
            if (v[i] == zeroed[i]) continue;
            tried++;
            var w = (double[])v.Clone();
            w[i] = zeroed[i];
            yield return Autograd.Tensor.FromArray(w, x.Shape.ToArray());
        }
    }

    /// <summary>Two shapes that broadcast together (NumPy rules): the second drops some leading axes and has some axes of
    /// size 1, and the pair is swapped half the time.</summary>
    public static Gen<(Shape A, Shape B)> BroadcastShapes(int maxRank = 3, int maxAxis = 4) =>
        from full in Shape(0, maxRank, maxAxis)
        from drop in Gen.Choose(0, full.Rank)
        from ones in Gen.ArrayOf(Gen.Elements(false, true), full.Rank)
        from swap in Gen.Elements(false, true)
        let other = Autograd.Shape.Of(full.ToArray().Select((n, a) => ones[a] ? 1 : n).Skip(drop).ToArray())
        select swap ? (other, full) : (full, other);

    /// <summary>Smaller broadcast-compatible pairs: the longer shape's first axis dropped, or one aligned axis shrunk on
    /// both sides at once (sizes of 1 stay 1), so every candidate still broadcasts.</summary>
    public static IEnumerable<(Shape A, Shape B)> ShrinkBroadcastShapes((Shape A, Shape B) pair)
    {
        int[] a = pair.A.ToArray(), b = pair.B.ToArray();
        if (a.Length > b.Length) yield return (Autograd.Shape.Of(a[1..]), pair.B);
        else if (b.Length > a.Length) yield return (pair.A, Autograd.Shape.Of(b[1..]));
        else if (a.Length > 0) yield return (Autograd.Shape.Of(a[1..]), Autograd.Shape.Of(b[1..]));
        for (int k = 1; k <= Math.Min(a.Length, b.Length); k++)
        {
            int n = Math.Max(a[^k], b[^k]);
            foreach (var m in ShrinkSize(n))
            {
                int[] a2 = (int[])a.Clone(), b2 = (int[])b.Clone();
                if (a2[^k] > 1) a2[^k] = m;
                if (b2[^k] > 1) b2[^k] = m;
                yield return (Autograd.Shape.Of(a2), Autograd.Shape.Of(b2));
            }
        }
    }

    /// <summary>Shapes as an FsCheck arbitrary with shrinking.</summary>
    public static Arbitrary<Shape> ShapeArb(int minRank = 0, int maxRank = 3, int maxAxis = 4) =>
        Arb.From(Shape(minRank, maxRank, maxAxis), s => ShrinkShape(s, minRank));

    /// <summary>Float64 tensors from <paramref name="domain"/> as an FsCheck arbitrary, shrinking shape and values.</summary>
    public static Arbitrary<Tensor> TensorArb(Domain domain, int minRank = 0, int maxRank = 3, int maxAxis = 4) =>
        Arb.From(Tensor(domain, minRank, maxRank, maxAxis), x => ShrinkTensor(x, domain, minRank));

    /// <summary>Pairs of float64 tensors of broadcast-compatible shapes from the two domains, as an FsCheck arbitrary;
    /// shrinking keeps the leading values of each.</summary>
    public static Arbitrary<(Tensor A, Tensor B)> BroadcastPairArb(Domain a, Domain b, int maxRank = 3, int maxAxis = 4) =>
        Arb.From(
            from s in BroadcastShapes(maxRank, maxAxis)
            from x in Tensor(s.A, a)
            from y in Tensor(s.B, b)
            select (A: x, B: y),
            p => ShrinkBroadcastShapes((p.A.Shape, p.B.Shape)).Select(s => (Prefix(p.A, s.A), Prefix(p.B, s.B))));

    private static Tensor Prefix(Tensor x, Shape s) => Autograd.Tensor.FromArray(x.ToDoubleArray()[..s.Size], s.ToArray());

    private static IEnumerable<int> ShrinkSize(int n)
    {
        if (n <= 1) yield break;
        yield return 1;
        if (n / 2 > 1) yield return n / 2;
        if (n - 1 > n / 2 && n - 1 > 1) yield return n - 1;
    }
}

/// <summary>
/// Default arbitraries for FsCheck.Xunit's type-directed generation: <c>[Property(Arbitrary = [typeof(TensorArbitraries)])]</c>
/// makes parameters of type <see cref="Tensor"/> (float64, <see cref="Domain.Any"/>, rank 0..3, axes 1..4) and
/// <see cref="Autograd.Shape"/> generated and shrunk. For other domains use <see cref="Generators.TensorArb"/> with <c>Prop.ForAll</c>.
/// </summary>
public static class TensorArbitraries
{
    /// <summary>Float64 tensors with values in [−2, 2].</summary>
    public static Arbitrary<Tensor> Tensor() => Generators.TensorArb(Domain.Any);

    /// <summary>Shapes of rank 0..3 with axes 1..4.</summary>
    public static Arbitrary<Shape> Shape() => Generators.ShapeArb();
}
