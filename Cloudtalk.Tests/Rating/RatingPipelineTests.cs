using System.Diagnostics;
using Cloudtalk.Common.Events;
using Cloudtalk.Common.Messaging;
using Cloudtalk.Tests.Infrastructure;
using Cloudtalk.Tests.Messaging;

namespace Cloudtalk.Tests.Rating;

/// <summary>
/// Review events published straight to <c>cloudtalk.events</c> (as the Api's relay does), Rating's
/// <c>rating-updated</c> observed on a queue of the test's own: the real broker, database and service.
/// </summary>
[Collection(CloudtalkCollection.Name)]
public sealed class RatingPipelineTests(CloudtalkAppFixture fixture) : IAsyncLifetime
{
    private TestBus _bus = null!;

    public async Task InitializeAsync() => _bus = await TestBus.StartAsync(fixture.App);

    public async Task DisposeAsync() => await _bus.DisposeAsync();

    [Fact]
    public async Task Create_update_and_delete_converge_to_the_mean_and_count()
    {
        var product = TestIds.Next();
        var (first, second) = (TestIds.Next(), TestIds.Next());

        await _bus.PublishAsync(new ReviewCreated(first, product, 4, 1));
        await _bus.PublishAsync(new ReviewCreated(second, product, 2, 1));
        await _bus.WaitForRatingAsync(product, 2, 3.0);

        await _bus.PublishAsync(new ReviewUpdated(first, product, 5, 4, 2));
        await _bus.WaitForRatingAsync(product, 2, 3.5);

        await _bus.PublishAsync(new ReviewDeleted(second, product, 2, 2));
        await _bus.WaitForRatingAsync(product, 1, 5.0);

        await _bus.PublishAsync(new ReviewDeleted(first, product, 5, 3));
        var empty = await _bus.WaitForRatingAsync(product, 0, 0);
        Assert.Equal(0, empty.AverageRating);
    }

    [Fact]
    public async Task Rating_updated_carries_the_contract_properties_and_continues_the_trace()
    {
        var product = TestIds.Next();
        var traceId = ActivityTraceId.CreateRandom();
        var traceParent = $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01";

        await _bus.PublishAsync(new ReviewCreated(TestIds.Next(), product, 3, 1), traceParent: traceParent);
        await _bus.WaitForRatingAsync(product, 1, 3.0);

        // (At least once: a relay retry could repeat it, always with the same properties.)
        var received = _bus.ReceivedFor(product)[0];
        Assert.True(Guid.TryParse(received.MessageId, out _), $"message-id {received.MessageId} is not a UUID");
        Assert.Equal(EventNames.RatingUpdated, received.Type);
        Assert.Equal("application/json", received.ContentType);
        Assert.True(received.Persistent);
        Assert.NotNull(received.TraceParent);
        Assert.Equal(traceId.ToString(), received.TraceParent.Split('-')[1]);
    }

    [Fact]
    public async Task A_duplicated_event_changes_the_result_once()
    {
        var product = TestIds.Next();
        var (first, second) = (TestIds.Next(), TestIds.Next());
        var created = new ReviewCreated(first, product, 4, 1);
        var eventId = Guid.NewGuid();

        await _bus.PublishAsync(created, eventId);
        await _bus.PublishAsync(created, eventId);
        await _bus.PublishAsync(new ReviewCreated(second, product, 2, 1));
        await _bus.PublishAsync(created, eventId);
        await _bus.WaitForRatingAsync(product, 2, 3.0);

        // A redelivery of the same event id after other events changed the product changes nothing either.
        var update = new ReviewUpdated(second, product, 5, 2, 2);
        var updateId = await _bus.PublishAsync(update);
        await _bus.WaitForRatingAsync(product, 2, 4.5);
        await _bus.PublishAsync(update, updateId);
        await _bus.PublishAsync(created, eventId);
        var sentinel = TestIds.Next();
        await _bus.PublishAsync(new ReviewCreated(sentinel, product, 3, 1));
        var final = await _bus.WaitForRatingAsync(product, 3, 4.0);

        // Four changes (two creates, an update, the sentinel), four versions: the duplicates made none.
        Assert.Equal(4, final.Version);
        Assert.Equal([1L, 2L, 3L, 4L], _bus.ReceivedFor(product).Select(received => received.Event.Version).Distinct().Order());
    }

    [Fact]
    public async Task Reordered_events_end_in_the_same_result()
    {
        var product = TestIds.Next();
        var (updatedFirst, deletedFirst, staleUpdate, sentinel) = (TestIds.Next(), TestIds.Next(), TestIds.Next(), TestIds.Next());

        // An update that arrives before its create: the late create is stale.
        await _bus.PublishAsync(new ReviewUpdated(updatedFirst, product, 5, 3, 2));
        await _bus.PublishAsync(new ReviewCreated(updatedFirst, product, 3, 1));

        // A delete that arrives before its create: the review never counts.
        await _bus.PublishAsync(new ReviewDeleted(deletedFirst, product, 4, 2));
        await _bus.PublishAsync(new ReviewCreated(deletedFirst, product, 4, 1));

        // An older update after a newer one is ignored.
        await _bus.PublishAsync(new ReviewCreated(staleUpdate, product, 1, 1));
        await _bus.PublishAsync(new ReviewUpdated(staleUpdate, product, 2, 1, 3));
        await _bus.PublishAsync(new ReviewUpdated(staleUpdate, product, 5, 1, 2));

        // An update after its delete (older version) does not bring the review back.
        await _bus.PublishAsync(new ReviewUpdated(deletedFirst, product, 1, 4, 1));

        await _bus.PublishAsync(new ReviewCreated(sentinel, product, 1, 1));

        // 5 + 2 + 1 over three reviews.
        await _bus.WaitForRatingAsync(product, 3, 8.0 / 3);
    }

    [Fact]
    public async Task Versions_of_rating_updated_only_grow()
    {
        var product = TestIds.Next();
        var reviews = Enumerable.Range(0, 20).Select(_ => TestIds.Next()).ToArray();

        await Task.WhenAll(reviews.Select((review, index) => _bus.PublishAsync(new ReviewCreated(review, product, index % 5 + 1, 1))));
        await Task.WhenAll(reviews.Take(10).Select(review => _bus.PublishAsync(new ReviewUpdated(review, product, 5, 1, 2))));
        await Task.WhenAll(reviews.Skip(15).Select(review => _bus.PublishAsync(new ReviewDeleted(review, product, 1, 2))));

        // Reviews 0-9 rate 5; 10-14 keep index % 5 + 1 = 1..5; 15-19 are deleted.
        var expectedSum = 10 * 5 + (1 + 2 + 3 + 4 + 5);
        var final = await _bus.WaitForRatingAsync(product, 15, expectedSum / 15.0);

        var versions = _bus.ReceivedFor(product).Select(received => received.Event.Version).ToList();
        Assert.Equal(versions.Order(), versions);
        Assert.Equal(final.Version, versions[^1]);
    }

    [Theory]
    [InlineData("{ this is not json")]
    [InlineData("{\"reviewId\": 1}")]
    [InlineData("{\"reviewId\": 1, \"productId\": 1, \"rating\": \"5\", \"reviewVersion\": 1}")]
    [InlineData("{\"reviewId\": 1, \"productId\": 1, \"rating\": 9, \"reviewVersion\": 1}")]
    public async Task A_poison_message_is_dead_lettered_and_the_next_one_is_processed(string body)
    {
        var poisonId = Guid.NewGuid().ToString();
        await _bus.PublishRawAsync(EventNames.ReviewCreated, EventNames.ReviewCreated, TestBus.Utf8(body), poisonId);

        var product = TestIds.Next();
        await _bus.PublishAsync(new ReviewCreated(TestIds.Next(), product, 2, 1));
        await _bus.WaitForRatingAsync(product, 1, 2.0);

        var deadLetter = await _bus.FindOnQueueAsync(MessagingTopology.DeadLetterQueueOf(MessagingTopology.RatingReviewEventsQueue), poisonId);
        Assert.NotNull(deadLetter);
        Assert.Equal(body, System.Text.Encoding.UTF8.GetString(deadLetter.Body.Span));
    }

    [Fact]
    public async Task A_message_of_an_unknown_type_or_without_a_uuid_is_dead_lettered()
    {
        var unknownType = Guid.NewGuid().ToString();
        await _bus.PublishRawAsync(EventNames.ReviewCreated, "review-exploded", TestBus.Utf8("{}"), unknownType);
        var notUuid = "not-a-uuid-" + Guid.NewGuid();
        await _bus.PublishRawAsync(EventNames.ReviewCreated, EventNames.ReviewCreated,
            EventJson.Serialize(new ReviewCreated(TestIds.Next(), TestIds.Next(), 3, 1)), notUuid);

        var queue = MessagingTopology.DeadLetterQueueOf(MessagingTopology.RatingReviewEventsQueue);
        Assert.NotNull(await _bus.FindOnQueueAsync(queue, unknownType));
        Assert.NotNull(await _bus.FindOnQueueAsync(queue, notUuid));
    }

    [Fact]
    public async Task An_event_that_moves_a_review_to_another_product_is_dead_lettered()
    {
        var (product, other, review) = (TestIds.Next(), TestIds.Next(), TestIds.Next());
        await _bus.PublishAsync(new ReviewCreated(review, product, 4, 1));
        await _bus.WaitForRatingAsync(product, 1, 4.0);

        var moved = await _bus.PublishAsync(new ReviewUpdated(review, other, 1, 4, 2));
        var queue = MessagingTopology.DeadLetterQueueOf(MessagingTopology.RatingReviewEventsQueue);
        Assert.NotNull(await _bus.FindOnQueueAsync(queue, moved.ToString()));

        // Neither product changed.
        await _bus.PublishAsync(new ReviewCreated(TestIds.Next(), product, 2, 1));
        var final = await _bus.WaitForRatingAsync(product, 2, 3.0);
        Assert.Equal(2, final.Version);
        Assert.Null(_bus.LatestFor(other));
    }

    [Fact]
    public async Task Product_deleted_clears_the_state_and_late_review_events_do_not_bring_it_back()
    {
        var database = await RatingDatabase.OpenAsync(fixture.App);
        var product = TestIds.Next();
        var (first, second) = (TestIds.Next(), TestIds.Next());
        await _bus.PublishAsync(new ReviewCreated(first, product, 4, 1));
        await _bus.PublishAsync(new ReviewCreated(second, product, 5, 1));
        var before = await _bus.WaitForRatingAsync(product, 2, 4.5);

        await _bus.PublishAsync(new ProductDeleted(product));
        await Eventually.WaitAsync(
            () => database.ScalarAsync<bool>("SELECT is_deleted FROM product_rating_aggregates WHERE product_id = $1", product),
            deleted => deleted, TestBus.ConvergenceTimeout, () => $"product {product} is not marked deleted");
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM review_ratings WHERE product_id = $1", product));

        // Late events for the deleted product, then a sentinel on another product that is handled after them.
        await _bus.PublishAsync(new ReviewCreated(TestIds.Next(), product, 1, 1));
        await _bus.PublishAsync(new ReviewUpdated(first, product, 1, 4, 2));
        var other = TestIds.Next();
        await _bus.PublishAsync(new ReviewCreated(TestIds.Next(), other, 3, 1));
        await _bus.WaitForRatingAsync(other, 1, 3.0);

        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM review_ratings WHERE product_id = $1", product));
        Assert.Equal(0, await database.ScalarAsync<int>("SELECT review_count FROM product_rating_aggregates WHERE product_id = $1", product));
        Assert.Equal(before.Version, _bus.LatestFor(product)!.Version);
    }

    [Fact]
    public async Task Every_processed_event_is_recorded_and_every_outbox_row_is_marked_sent()
    {
        var database = await RatingDatabase.OpenAsync(fixture.App);
        var product = TestIds.Next();
        var eventId = await _bus.PublishAsync(new ReviewCreated(TestIds.Next(), product, 5, 1));
        await _bus.WaitForRatingAsync(product, 1, 5.0);

        Assert.Equal(EventNames.ReviewCreated,
            await database.ScalarAsync<string>("SELECT event_name FROM processed_events WHERE event_id = $1", eventId));
        var received = _bus.ReceivedFor(product)[0];
        await Eventually.WaitAsync(
            () => database.ScalarAsync<bool>("SELECT sent_at IS NOT NULL FROM outbox_messages WHERE id = $1", Guid.Parse(received.MessageId!)),
            sent => sent, TestBus.ConvergenceTimeout, () => $"outbox row {received.MessageId} is not marked sent");
    }
}
