using System.Diagnostics;
using System.Net.Http.Json;

namespace Cloudtalk.Benchmarks.Propagation;

/// <summary>
/// Rating propagation: the time from the 201 of POST /api/reviews until GET /api/products/{id} serves the new
/// reviewCount and averageRating. The probe keeps its own products, which no other writer touches, so it
/// knows the exact values to wait for.
/// </summary>
public sealed class PropagationProbe(HttpClient http, Load.CloudtalkClient client, IReadOnlyList<long> products)
{
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(5);

    // A system that falls behind would make every sample wait out GiveUpAfter: the phase ends after this, with the
    // samples it has, and the report shows how many that were.
    private static readonly TimeSpan PhaseLimit = TimeSpan.FromSeconds(90);

    public async Task<PropagationResult> MeasureAsync(string label, int samples)
    {
        var state = new Dictionary<long, (int Count, long Sum)>();
        foreach (var id in products)
        {
            var reviews = await client.GetAllReviewsAsync(id);
            state[id] = (reviews.Count, reviews.Sum(review => (long)review.Rating));
        }

        var timings = new List<double>(samples);
        var lost = 0;
        var phase = Stopwatch.StartNew();
        for (var sample = 0; sample < samples && phase.Elapsed < PhaseLimit; sample++)
        {
            var productId = products[sample % products.Count];
            var rating = Random.Shared.Next(1, 6);
            var (count, sum) = state[productId];
            var expectedCount = count + 1;
            var expectedAverage = (double)(sum + rating) / expectedCount;

            using (var created = await client.PostReviewAsync(productId, rating))
            {
                created.EnsureSuccessStatusCode();
            }

            var clock = Stopwatch.StartNew();
            var seen = false;
            while (clock.Elapsed < GiveUpAfter)
            {
                var product = (await http.GetFromJsonAsync<Load.ProductDto>($"/api/products/{productId}"))!;
                if (product.ReviewCount == expectedCount && Math.Abs(product.AverageRating - expectedAverage) < 1e-9)
                {
                    seen = true;
                    break;
                }

                // Polls about every millisecond: finer than the figures measured, without taking a core from the system.
                await Task.Delay(1);
            }

            state[productId] = (expectedCount, sum + rating);
            if (seen)
            {
                timings.Add(clock.Elapsed.TotalMilliseconds);
            }
            else
            {
                lost++;
            }
        }

        timings.Sort();
        return new PropagationResult(label, timings.Count, lost,
            Percentile(timings, 0.50), Percentile(timings, 0.99), timings.Count > 0 ? timings[^1] : double.NaN);
    }

    private static double Percentile(List<double> sorted, double share) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(share * sorted.Count) - 1)];
}

public sealed record PropagationResult(string Label, int Samples, int NotSeen, double P50Ms, double P99Ms, double MaxMs);
