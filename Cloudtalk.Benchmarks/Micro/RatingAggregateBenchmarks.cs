using BenchmarkDotNet.Attributes;
using Cloudtalk.Common.Events;
using Cloudtalk.Rating.Domain;

namespace Cloudtalk.Benchmarks.Micro;

/// <summary>
/// The in-memory part of applying one review event in Rating: the O(1) delta on the aggregate and the
/// rating-updated it yields (the database round trips are measured by the load benchmark).
/// </summary>
[MemoryDiagnoser]
public class RatingAggregateBenchmarks
{
    private readonly ProductRatingAggregate _aggregate = new() { ProductId = 1, ReviewCount = 1_000_000, RatingSum = 3_500_000 };
    private int _rating;

    [Benchmark]
    public RatingUpdated ApplyUpdate()
    {
        var before = 1 + (_rating % 5);
        var after = 1 + (++_rating % 5);
        _aggregate.Replace(before, after);
        return _aggregate.ToRatingUpdated();
    }
}
