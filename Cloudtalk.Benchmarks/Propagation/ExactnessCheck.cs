using System.Diagnostics;
using System.Globalization;

namespace Cloudtalk.Benchmarks.Propagation;

/// <summary>
/// Compares every product's served averageRating and reviewCount with the mean and count of its reviews as the
/// Api lists them, and reports how long after the load stopped all of them were exact.
/// </summary>
/// <remarks>
/// A pass reads the product list first, then every product's reviews, which takes a second or more with a thousand
/// products. The load has stopped, so the reviews no longer change: a pass that finds nothing wrong shows that the
/// ratings as served when its list was read were exact. That moment is the time to exactness; the pass's end, when
/// the check could know it, is reported beside it.
/// </remarks>
public static class ExactnessCheck
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(2);

    public static async Task<ExactnessResult> WaitUntilExactAsync(Load.CloudtalkClient client, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        var wrong = int.MaxValue;
        var wrongAtBound = -1;
        var listedAt = TimeSpan.Zero;
        while (clock.Elapsed < limit)
        {
            var products = await client.GetAllProductsAsync();
            listedAt = clock.Elapsed;
            wrong = await CountWrongAsync(client, products);
            if (wrongAtBound < 0 && listedAt >= Bound)
            {
                wrongAtBound = wrong;
            }

            if (wrong == 0)
            {
                break;
            }
        }

        return new ExactnessResult(wrong, wrongAtBound < 0 ? wrong : wrongAtBound, listedAt.TotalMilliseconds,
            clock.Elapsed.TotalMilliseconds);
    }

    private static async Task<int> CountWrongAsync(Load.CloudtalkClient client, List<Load.ProductDto> products)
    {
        var wrong = 0;
        using var gate = new SemaphoreSlim(16);
        await Task.WhenAll(products.Select(async product =>
        {
            await gate.WaitAsync();
            try
            {
                var reviews = await client.GetAllReviewsAsync(product.Id);
                var expected = reviews.Count == 0 ? 0 : reviews.Average(review => (double)review.Rating);
                if (product.ReviewCount != reviews.Count || Math.Abs(product.AverageRating - expected) > 1e-9)
                {
                    Interlocked.Increment(ref wrong);
                }
            }
            finally
            {
                gate.Release();
            }
        }));
        return wrong;
    }
}

/// <param name="Wrong">Products still wrong when the check ended.</param>
/// <param name="WrongAfterTwoSeconds">Products wrong in the first pass that read them 2 s or more after the load (the
/// target's bound); if every product was exact before that, the final count.</param>
/// <param name="ExactAtMs">Time from the end of the load until the ratings were read as they were in the last pass: when
/// <paramref name="Wrong"/> is 0, the time by which every product was exact.</param>
/// <param name="ConfirmedAtMs">Time from the end of the load until the last pass had checked every product.</param>
public sealed record ExactnessResult(int Wrong, int WrongAfterTwoSeconds, double ExactAtMs, double ConfirmedAtMs)
{
    /// <summary>The report's wording: when the products were exact, and when the check had read them all.</summary>
    public string Describe() => Wrong == 0
        ? string.Create(CultureInfo.InvariantCulture,
            $"all exact as read {ExactAtMs:F0} ms after the load (that pass had checked every product at {ConfirmedAtMs:F0} ms)")
        : string.Create(CultureInfo.InvariantCulture, $"not all exact when the check gave up at {ConfirmedAtMs:F0} ms");
}
