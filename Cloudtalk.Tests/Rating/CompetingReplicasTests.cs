using Cloudtalk.Common.Events;
using Cloudtalk.Common.Messaging;
using Cloudtalk.Tests.Messaging;

namespace Cloudtalk.Tests.Rating;

/// <summary>
/// Three Rating replicas compete for one queue while the events of many reviews arrive shuffled and partly
/// duplicated: every product still ends exactly at the mean and count of its surviving reviews.
/// </summary>
[Collection(ReplicatedRatingCollection.Name)]
public sealed class CompetingReplicasTests(ReplicatedRatingFixture fixture) : IAsyncLifetime
{
    private TestBus _bus = null!;

    public async Task InitializeAsync() => _bus = await TestBus.StartAsync(fixture.App);

    public async Task DisposeAsync() => await _bus.DisposeAsync();

    [Fact]
    public async Task Three_replicas_apply_shuffled_and_duplicated_events_exactly()
    {
        // Every replica is consuming before the load starts, so that they really compete.
        await using (var channel = await _bus.Connection.CreateChannelAsync())
        {
            await Eventually.WaitAsync(
                async () => (await channel.QueueDeclarePassiveAsync(MessagingTopology.RatingReviewEventsQueue)).ConsumerCount,
                consumers => consumers == ReplicatedRatingFixture.RatingReplicas,
                TestBus.ConvergenceTimeout, () => "not every Rating replica consumes rating.review-events");
        }

        var random = new Random(20261125);
        var products = Enumerable.Range(0, 5).Select(_ => TestIds.Next()).ToArray();
        var events = new List<(Guid Id, Func<Guid, Task> Publish)>();
        var expected = products.ToDictionary(product => product, _ => new List<int>());

        for (var index = 0; index < 100; index++)
        {
            var product = products[index % products.Length];
            var review = TestIds.Next();
            var ratings = new[] { random.Next(1, 6), random.Next(1, 6), random.Next(1, 6) };
            var deleted = random.NextDouble() < 0.3;

            Add(id => _bus.PublishAsync(new ReviewCreated(review, product, ratings[0], 1), id));
            Add(id => _bus.PublishAsync(new ReviewUpdated(review, product, ratings[1], ratings[0], 2), id));
            Add(id => _bus.PublishAsync(new ReviewUpdated(review, product, ratings[2], ratings[1], 3), id));
            if (deleted)
            {
                Add(id => _bus.PublishAsync(new ReviewDeleted(review, product, ratings[2], 4), id));
            }
            else
            {
                expected[product].Add(ratings[2]);
            }
        }

        // Duplicates: a fifth of the events once more, with the same event id.
        var duplicates = events.Where(_ => random.NextDouble() < 0.2).ToList();
        var all = events.Concat(duplicates).OrderBy(_ => random.Next()).ToList();
        foreach (var chunk in all.Chunk(50))
        {
            await Task.WhenAll(chunk.Select(item => item.Publish(item.Id)));
        }

        var database = await RatingDatabase.OpenAsync(fixture.App);
        foreach (var product in products)
        {
            var ratings = expected[product];
            var average = ratings.Count == 0 ? 0 : ratings.Average();
            await _bus.WaitForRatingAsync(product, ratings.Count, average);

            Assert.Equal((long)ratings.Sum(),
                await database.ScalarAsync<long>("SELECT rating_sum FROM product_rating_aggregates WHERE product_id = $1", product));
            Assert.Equal((long)ratings.Count,
                await database.ScalarAsync<long>("SELECT count(*) FROM review_ratings WHERE product_id = $1 AND NOT is_deleted", product));
        }

        // Every event id was applied exactly once, however often it was delivered. The ratings above can be final
        // while a stale event (one that changes nothing) is still being handled by another replica, so wait for it.
        var ids = events.Select(item => item.Id).ToArray();
        var processed = await Eventually.WaitAsync(
            () => database.ScalarAsync<long>("SELECT count(*) FROM processed_events WHERE event_id = ANY($1)", ids),
            count => count >= ids.Length, TestBus.ConvergenceTimeout, () => "not every event id was recorded as processed");
        Assert.Equal((long)ids.Length, processed);

        void Add(Func<Guid, Task> publish) => events.Add((Guid.NewGuid(), publish));
    }
}
