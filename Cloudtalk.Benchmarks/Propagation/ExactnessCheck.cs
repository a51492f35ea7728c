using System.Diagnostics;

namespace Cloudtalk.Benchmarks.Propagation;

/// <summary>
/// Compares every product's served averageRating and reviewCount with the mean and count of its reviews as the
/// Api lists them, and reports how long after the load stopped all of them were exact.
/// </summary>
public static class ExactnessCheck
{
    public static async Task<ExactnessResult> WaitUntilExactAsync(Load.CloudtalkClient client, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        var wrong = int.MaxValue;
        var wrongAtTwoSeconds = -1;
        while (clock.Elapsed < limit)
        {
            wrong = await CountWrongAsync(client);
            if (wrongAtTwoSeconds < 0 && clock.Elapsed >= TimeSpan.FromSeconds(2))
            {
                wrongAtTwoSeconds = wrong;
            }

            if (wrong == 0)
            {
                break;
            }
        }

        return new ExactnessResult(wrong, wrongAtTwoSeconds < 0 ? wrong : wrongAtTwoSeconds, clock.Elapsed.TotalMilliseconds);
    }

    private static async Task<int> CountWrongAsync(Load.CloudtalkClient client)
    {
        var products = await client.GetAllProductsAsync();
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
/// <param name="WrongAfterTwoSeconds">Products wrong at the first check after 2 s (the contract's bound).</param>
/// <param name="ElapsedMs">Time from the end of the load until every product was exact (or the limit).</param>
public sealed record ExactnessResult(int Wrong, int WrongAfterTwoSeconds, double ElapsedMs);
