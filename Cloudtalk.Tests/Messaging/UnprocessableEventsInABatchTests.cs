using Cloudtalk.Api.Ratings;
using Cloudtalk.Common.Events;
using Cloudtalk.Common.Messaging;
using Cloudtalk.Rating.Application;
using Cloudtalk.Rating.Infrastructure;
using Cloudtalk.Tests.Caching;
using Cloudtalk.Tests.Infrastructure;
using Cloudtalk.Tests.Pipeline;
using Cloudtalk.Tests.Rating;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cloudtalk.Tests.Messaging;

/// <summary>
/// Both services' handlers, run in the test process on the system's real databases and Redis: a batch holding events
/// that can never be processed applies the rest and names exactly those, so the consumer dead-letters them alone and
/// handles nothing twice (see <c>EventConsumerTests</c> for the consumer's side).
/// </summary>
[Collection(CloudtalkCollection.Name)]
public sealed class UnprocessableEventsInABatchTests(CloudtalkAppFixture fixture)
{
    [Fact]
    public async Task Rating_applies_the_rest_of_a_batch_and_names_only_its_impossible_events()
    {
        // A real product, so the rating-updated this enqueues is applied by the Api rather than dead-lettered there.
        using var api = fixture.App.CreateApiClient();
        var product = (await api.CreateProductAsync("rated beside impossible events")).Id();
        // Review ids far beyond the Api's sequence: no real review's record is touched.
        var reviews = 8_000_000_000_000_000 + Random.Shared.NextInt64(1_000_000_000);
        var first = Incoming(new ReviewCreated(reviews, product, 4, 1));
        var ratedNine = Incoming(new ReviewCreated(reviews + 1, product, 9, 1));
        var second = Incoming(new ReviewCreated(reviews + 2, product, 2, 1));
        var noProduct = Incoming(new ReviewUpdated(reviews + 3, 0, 3, 2, 2));
        await using var db = new RatingDbContext(new DbContextOptionsBuilder<RatingDbContext>()
            .UseNpgsql(await fixture.App.GetConnectionStringAsync("ratingdb")).Options);
        var projection = new RatingProjection(db, TimeProvider.System, NullLogger<RatingProjection>.Instance);

        var rejection = await Assert.ThrowsAsync<UnprocessableEventException>(
            () => projection.HandleAsync([first, ratedNine, second, noProduct], CancellationToken.None));

        Assert.Equal(IdsOf(ratedNine, noProduct), rejection.EventIds.ToHashSet());
        var rating = await RatingDatabase.OpenAsync(fixture.App);
        Assert.Equal(2, await rating.ScalarAsync<int>("SELECT review_count FROM product_rating_aggregates WHERE product_id = $1", product));
        Assert.Equal(6, await rating.ScalarAsync<long>("SELECT rating_sum FROM product_rating_aggregates WHERE product_id = $1", product));
        Assert.Equal(2, await rating.ScalarAsync<long>("SELECT count(*) FROM processed_events WHERE event_id = ANY($1)",
            new[] { first, ratedNine, second, noProduct }.Select(incoming => incoming.Metadata.EventId).ToArray()));
    }

    [Fact]
    public async Task The_Api_applies_the_rest_of_a_batch_and_names_its_impossible_ratings_and_unknown_products()
    {
        using var api = fixture.App.CreateApiClient();
        var database = await ApiDatabase.OpenAsync(fixture.App);
        var product = (await api.CreateProductAsync("rated beside impossible ratings")).Id();
        // Far beyond any id the products' sequence has handed out.
        var neverCreated = 9_000_000_000_000_000 + Random.Shared.NextInt64(1_000_000_000);
        var applied = Incoming(new RatingUpdated(product, 4.5, 2, 1_000));
        var averageOfSix = Incoming(new RatingUpdated(product, 6, 1, 1_001));
        var unknown = Incoming(new RatingUpdated(neverCreated, 4, 1, 1));
        await using var db = await ApiRepositories.OpenDbContextAsync(fixture.App);
        await using var redis = await fixture.App.ConnectRedisAsync();
        using var cache = TestCaches.Create(redis);
        var handler = new RatingUpdatedHandler(db, cache, NullLogger<RatingUpdatedHandler>.Instance);

        var rejection = await Assert.ThrowsAsync<UnprocessableEventException>(
            () => handler.HandleAsync([averageOfSix, applied, unknown], CancellationToken.None));

        Assert.Equal(IdsOf(averageOfSix, unknown), rejection.EventIds.ToHashSet());
        Assert.Equal(1_000, await database.ScalarAsync<long>("SELECT rating_version FROM products WHERE id = $1", product));
        Assert.Equal(2, await database.ScalarAsync<int>("SELECT review_count FROM products WHERE id = $1", product));
        Assert.Equal(4.5, await database.ScalarAsync<double>("SELECT average_rating FROM products WHERE id = $1", product));
    }

    private static IncomingEvent Incoming<TEvent>(TEvent integrationEvent)
        where TEvent : IIntegrationEvent =>
        new(integrationEvent, new EventMetadata(Guid.NewGuid(), TEvent.EventName, DateTimeOffset.UtcNow), null);

    private static HashSet<Guid> IdsOf(params IncomingEvent[] events) => [.. events.Select(incoming => incoming.Metadata.EventId)];
}
