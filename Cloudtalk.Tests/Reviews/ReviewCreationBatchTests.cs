using System.Net;
using Cloudtalk.Api.Ratings;
using Cloudtalk.Api.Reviews;
using Cloudtalk.Common.Events;
using Cloudtalk.Common.Messaging;
using Cloudtalk.Tests.Caching;
using Cloudtalk.Tests.Infrastructure;
using Cloudtalk.Tests.Pipeline;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cloudtalk.Tests.Reviews;

/// <summary>
/// Concurrent review creates share a transaction (<see cref="ReviewCreationBatcher"/>): each create must still get
/// its own answer, and a review of a missing product must fail only itself.
/// </summary>
[Collection(CloudtalkCollection.Name)]
public sealed class ReviewCreationBatchTests(CloudtalkAppFixture fixture) : IAsyncLifetime
{
    private readonly HttpClient _api = fixture.App.CreateApiClient();
    private ApiDatabase? _apiDatabase;

    private ApiDatabase Database => _apiDatabase ?? throw new InvalidOperationException("Not initialized.");

    public async Task InitializeAsync() => _apiDatabase = await ApiDatabase.OpenAsync(fixture.App);

    public Task DisposeAsync()
    {
        _api.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_review_of_a_missing_product_fails_alone_and_the_rest_of_its_batch_is_written_once()
    {
        var (first, second, gone) = await TwoProductsAndADeletedOneAsync("batch with a missing product");

        await using var write = await ApiRepositories.StartAsync(fixture.App);
        var batch = new[] { (first, 2), (gone, 5), (second, 3), (gone, 1), (first, 4) }
            .Select(r => ApiRepositories.NewReview(r.Item1, r.Item2)).ToList();

        var results = await write.Reviews.InsertBatchAsync(batch, CancellationToken.None);

        Assert.Equal(
            [ReviewWriteStatus.Done, ReviewWriteStatus.ProductNotFound, ReviewWriteStatus.Done, ReviewWriteStatus.ProductNotFound,
                ReviewWriteStatus.Done],
            results.Select(result => result.Status));
        Assert.Equal([first, second, first], results.Where(r => r.Review is not null).Select(r => r.Review!.ProductId));
        Assert.Equal(3, results.Where(r => r.Review is not null).Select(r => r.Review!.Id).Distinct().Count());
        Assert.Equal(2L, await Database.ScalarAsync<long>("SELECT count(*) FROM reviews WHERE product_id = $1", first));
        Assert.Equal(1L, await Database.ScalarAsync<long>("SELECT count(*) FROM reviews WHERE product_id = $1", second));
        Assert.Equal(0L, await Database.ScalarAsync<long>("SELECT count(*) FROM reviews WHERE product_id = $1", gone));
        foreach (var (productId, count) in new[] { (first, 2L), (second, 1L), (gone, 0L) })
        {
            Assert.Equal(count, await Database.ScalarAsync<long>(
                "SELECT count(*) FROM outbox_messages WHERE type = 'review-created' AND (payload ->> 'productId')::bigint = $1",
                productId));
        }

        await ServedRatings.WaitForAsync(_api, Database, first, 2, 3);
        await ServedRatings.WaitForAsync(_api, Database, second, 1, 3);
    }

    [Fact]
    public async Task Concurrent_creates_over_http_each_get_their_own_answer()
    {
        var (first, second, gone) = await TwoProductsAndADeletedOneAsync("concurrent creates");

        // Reads first, so the review pages are cached when the creates land: the answers must not come from before.
        await _api.GetJsonAsync($"/api/products/{first}/reviews");
        await _api.GetJsonAsync($"/api/products/{second}/reviews");
        var targets = Enumerable.Range(0, 60).Select(i => (i % 3) switch { 0 => first, 1 => second, _ => gone }).ToList();

        var responses = await Task.WhenAll(targets.Select((productId, i) =>
            _api.PostJsonAsync("/api/reviews", new { productId, firstName = $"c{i}", rating = i % 5 + 1 })));

        var createdIds = new List<long>();
        for (var i = 0; i < responses.Length; i++)
        {
            using var response = responses[i];
            if (targets[i] == gone)
            {
                await response.AssertValidationErrorsAsync("productId");
                continue;
            }

            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var review = await response.ReadJsonAsync();
            // Its own review, not another create's answer from the same batch.
            Assert.Equal(targets[i], review.GetProperty("productId").GetInt64());
            Assert.Equal($"c{i}", review.GetProperty("firstName").GetString());
            Assert.Equal(i % 5 + 1, review.GetProperty("rating").GetInt32());
            createdIds.Add(review.Id());
        }

        Assert.Equal(40, createdIds.Distinct().Count());
        foreach (var productId in new[] { first, second })
        {
            var page = await _api.GetJsonAsync($"/api/products/{productId}/reviews?limit=100");
            Assert.Equal(20, page.GetProperty("data").GetArrayLength());
            var ratings = Enumerable.Range(0, 60).Where(i => targets[i] == productId).Select(i => i % 5 + 1).ToList();
            await ServedRatings.WaitForAsync(_api, Database, productId, 20, ServedRatings.Mean(ratings.Sum(), ratings.Count));
        }
    }

    [Fact]
    public async Task A_rating_update_under_way_does_not_hold_up_review_creates_of_its_product()
    {
        // Review inserts lock their products KEY SHARE (the foreign-key check), several at once in a batch. A rating
        // update that locked the same products FOR UPDATE would make them wait, and deadlock with a batch that holds
        // one of its products while it waits for another.
        var productId = (await _api.CreateProductAsync("rating update under way")).Id();
        // The handler runs inside a transaction of the test's, as the consumer runs it inside its own.
        await using var db = await ApiRepositories.OpenDbContextAsync(fixture.App, retrying: false);
        await using var redis = await fixture.App.ConnectRedisAsync();
        using var cache = TestCaches.Create(redis);
        var handler = new RatingUpdatedHandler(db, cache, NullLogger<RatingUpdatedHandler>.Instance);
        await using var transaction = await db.Database.BeginTransactionAsync();
        await handler.HandleAsync(
            [new IncomingEvent(new RatingUpdated(productId, 2, 1, 1), new EventMetadata(Guid.NewGuid(), RatingUpdated.EventName, DateTimeOffset.UtcNow), null)],
            CancellationToken.None);

        var create = _api.PostJsonAsync("/api/reviews", new { productId, firstName = "Held", rating = 4 });
        var answeredWhileHeld = await Task.WhenAny(create, Task.Delay(TimeSpan.FromSeconds(10))) == create;
        await transaction.RollbackAsync();

        Assert.True(answeredWhileHeld, "the create waited for the rating update's transaction");
        using var created = await create;
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await ServedRatings.WaitForAsync(_api, Database, productId, 1, 4);
    }

    /// <summary>Two products, and the id of a third that was created and deleted.</summary>
    private async Task<(long First, long Second, long Gone)> TwoProductsAndADeletedOneAsync(string name)
    {
        var first = (await _api.CreateProductAsync(name)).Id();
        var second = (await _api.CreateProductAsync(name)).Id();
        var gone = (await _api.CreateProductAsync($"{name}, deleted")).Id();
        using var deleted = await _api.DeleteAsync($"/api/products/{gone}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        return (first, second, gone);
    }
}
