using System.Diagnostics;
using System.Net;
using Cloudtalk.AppHost.Commands;
using Cloudtalk.Tests.Faults;
using Cloudtalk.Tests.Infrastructure;
using Cloudtalk.Tests.Messaging;
using Cloudtalk.Tests.Pipeline;
using Cloudtalk.Tests.Rating;
using Xunit.Abstractions;

namespace Cloudtalk.Tests.Operations;

/// <summary>
/// The dashboard command recompute-ratings on Rating: Rating's records are damaged behind its back (as a lost event
/// or a restored backup would), the command rebuilds them from the Api's reviews and republishes every rating.
/// </summary>
[Collection(CloudtalkCollection.Name)]
public sealed class RecomputeRatingsCommandTests(CloudtalkAppFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan ConvergenceLimit = TimeSpan.FromSeconds(60);

    private readonly HttpClient _api = fixture.App.CreateOperationsClient();

    [Fact]
    public async Task Lost_and_corrupted_events_are_repaired_and_the_served_ratings_made_exact()
    {
        var apiDb = await ApiDatabase.OpenAsync(fixture.App);
        var ratingDb = await RatingDatabase.OpenAsync(fixture.App);
        var lostCreate = (await _api.CreateProductAsync("lost create")).Id();
        var missedCreate = (await _api.CreateReviewAsync(lostCreate, 5)).Id();
        await _api.CreateReviewAsync(lostCreate, 3);
        var corrupted = (await _api.CreateProductAsync("corrupted record")).Id();
        var corruptedReview = (await _api.CreateReviewAsync(corrupted, 4)).Id();
        await _api.CreateReviewAsync(corrupted, 4);
        var lostDelete = (await _api.CreateProductAsync("lost review delete")).Id();
        await _api.CreateReviewAsync(lostDelete, 2);
        var silentlyDeleted = (await _api.CreateReviewAsync(lostDelete, 5)).Id();
        var lostProductDelete = (await _api.CreateProductAsync("lost product delete")).Id();
        var lostWithProduct = (await _api.CreateReviewAsync(lostProductDelete, 1)).Id();
        await ServedRatings.WaitForAsync(_api, apiDb, lostCreate, 2, 4.0);
        await ServedRatings.WaitForAsync(_api, apiDb, corrupted, 2, 4.0);
        await ServedRatings.WaitForAsync(_api, apiDb, lostDelete, 2, 3.5);
        await ServedRatings.WaitForAsync(_api, apiDb, lostProductDelete, 1, 1.0);
        Assert.Equal(HttpStatusCode.NoContent, (await _api.DeleteAsync($"/api/reviews/{silentlyDeleted}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _api.DeleteAsync($"/api/products/{lostProductDelete}")).StatusCode);
        await ServedRatings.WaitForAsync(_api, apiDb, lostDelete, 1, 2.0);
        await Eventually.WaitAsync(
            () => ratingDb.ScalarAsync<bool>("SELECT is_deleted FROM product_rating_aggregates WHERE product_id = $1", lostProductDelete),
            deleted => deleted, ConvergenceLimit, () => $"Rating never applied the deletion of product {lostProductDelete}");

        // Damage Rating's records behind its back; the Api's side is left as the events made it, except where noted.
        // A create Rating never saw: no record, and an aggregate without it.
        await ratingDb.ExecuteAsync("DELETE FROM review_ratings WHERE review_id = $1", missedCreate);
        await ratingDb.ExecuteAsync("UPDATE product_rating_aggregates SET review_count = 1, rating_sum = 3 WHERE product_id = $1", lostCreate);
        // ... and the Api serving a wrong rating at a version far above Rating's (as after restoring Rating's backup).
        await apiDb.ExecuteAsync("UPDATE products SET average_rating = 1, review_count = 7, rating_version = 1000000 WHERE id = $1", lostCreate);
        // A record corrupted in place (same version, other rating), the aggregate following it.
        await ratingDb.ExecuteAsync("UPDATE review_ratings SET rating = 1 WHERE review_id = $1", corruptedReview);
        await ratingDb.ExecuteAsync("UPDATE product_rating_aggregates SET rating_sum = 5 WHERE product_id = $1", corrupted);
        // A review delete Rating never saw: the record alive again at its last version, the aggregate counting it.
        await ratingDb.ExecuteAsync("UPDATE review_ratings SET is_deleted = FALSE, review_version = review_version - 1 WHERE review_id = $1", silentlyDeleted);
        await ratingDb.ExecuteAsync("UPDATE product_rating_aggregates SET review_count = 2, rating_sum = 7 WHERE product_id = $1", lostDelete);
        // A product delete Rating never saw: the product alive in Rating with its review.
        await ratingDb.ExecuteAsync("UPDATE product_rating_aggregates SET is_deleted = FALSE, review_count = 1, rating_sum = 1 WHERE product_id = $1", lostProductDelete);
        await ratingDb.ExecuteAsync("INSERT INTO review_ratings (review_id, product_id, rating, review_version, is_deleted) VALUES ($1, $2, 1, 1, FALSE)",
            lostWithProduct, lostProductDelete);

        // A product only Rating knows, far beyond every real id: the rebuild must jump the gap, not walk it.
        var phantom = 9_000_000_000_000L + Random.Shared.Next(1_000_000);
        await ratingDb.ExecuteAsync("INSERT INTO product_rating_aggregates (product_id, review_count, rating_sum, version, is_deleted) VALUES ($1, 1, 4, 1, FALSE)", phantom);
        await ratingDb.ExecuteAsync("INSERT INTO review_ratings (review_id, product_id, rating, review_version, is_deleted) VALUES ($1, $1, 4, 1, FALSE)", phantom);

        var result = await fixture.App.App.ResourceCommands.ExecuteCommandAsync("rating", RecomputeRatingsCommand.Name);

        Assert.True(result.Success, result.Message);
        Assert.Contains("products recomputed and republished", result.Message, StringComparison.Ordinal);
        await ServedRatings.WaitForAsync(_api, apiDb, lostCreate, 2, 4.0);
        await ServedRatings.WaitForAsync(_api, apiDb, corrupted, 2, 4.0);
        await ServedRatings.WaitForAsync(_api, apiDb, lostDelete, 1, 2.0);
        Assert.Equal(2L, await ratingDb.ScalarAsync<long>(
            "SELECT count(*) FROM review_ratings WHERE product_id = $1 AND NOT is_deleted", lostCreate));
        Assert.Equal(8L, await ratingDb.ScalarAsync<long>(
            "SELECT rating_sum FROM product_rating_aggregates WHERE product_id = $1", corrupted));
        Assert.True(await ratingDb.ScalarAsync<bool>(
            "SELECT is_deleted FROM review_ratings WHERE review_id = $1", silentlyDeleted));
        Assert.True(await ratingDb.ScalarAsync<bool>(
            "SELECT is_deleted FROM product_rating_aggregates WHERE product_id = $1", lostProductDelete));
        Assert.True(await ratingDb.ScalarAsync<bool>(
            "SELECT is_deleted FROM product_rating_aggregates WHERE product_id = $1", phantom));
        var (_, mismatches) = await _api.CheckAsync();
        Assert.DoesNotContain(lostCreate, mismatches.Keys);
        Assert.DoesNotContain(corrupted, mismatches.Keys);
        Assert.DoesNotContain(lostDelete, mismatches.Keys);
    }

    [Fact]
    public async Task Rebuilds_running_during_review_writes_leave_every_rating_exact()
    {
        var products = new List<long>();
        for (var index = 0; index < 8; index++)
        {
            products.Add((await _api.CreateProductAsync($"rebuilt under writes {index}")).Id());
        }

        var load = new ReviewWriteLoad(_api, products, writers: 3);
        using var stop = new CancellationTokenSource();
        var writing = load.RunAsync(stop.Token);
        using var rating = fixture.App.CreateOperationsClient("rating");
        rating.Timeout = TimeSpan.FromMinutes(5);
        // At least two whole rebuilds and at least 5 s, the writes running all along: a count, not a race against a
        // clock (a rebuild of the shared system takes as long as its product count and the machine make it).
        var rebuilds = 0;
        var clock = Stopwatch.StartNew();
        while (rebuilds < 2 || clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            using var response = await rating.PostAsync(RecomputeRatingsCommand.Path, content: null);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            rebuilds++;
        }

        await stop.CancelAsync();
        await writing;
        output.WriteLine($"{rebuilds} rebuilds in {clock.Elapsed.TotalSeconds:F1} s during {load.Attempted} writes ({load.Acknowledged.Count} reviews acknowledged)");
        Assert.True(load.Acknowledged.Count >= 20, $"only {load.Acknowledged.Count} reviews were written");

        clock.Restart();
        var problem = await ConsistencyCheck.FindProblemAsync(fixture.App, _api, load, products);
        while (problem is not null && clock.Elapsed < ConvergenceLimit)
        {
            await Task.Delay(200);
            problem = await ConsistencyCheck.FindProblemAsync(fixture.App, _api, load, products);
        }

        Assert.True(problem is null, problem);
        // Rating's own records agree with the Api too (not only what it last published).
        var apiTotals = await (await ApiDatabase.OpenAsync(fixture.App)).ReviewTotalsAsync(products);
        var ratingDb = await RatingDatabase.OpenAsync(fixture.App);
        foreach (var product in products)
        {
            var (count, sum) = apiTotals.TryGetValue(product, out var totals) ? totals : (0, 0L);
            Assert.Equal(count, await ratingDb.ScalarAsync<int>(
                "SELECT count(*)::int FROM review_ratings WHERE product_id = $1 AND NOT is_deleted", product));
            Assert.Equal(sum, await ratingDb.ScalarAsync<long>(
                "SELECT coalesce(sum(rating), 0)::bigint FROM review_ratings WHERE product_id = $1 AND NOT is_deleted", product));
        }
    }
}
