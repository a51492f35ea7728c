using System.Diagnostics;
using System.Net;
using Cloudtalk.Common.Events;
using Cloudtalk.Common.Messaging;
using Cloudtalk.Tests.Infrastructure;
using Cloudtalk.Tests.Messaging;

namespace Cloudtalk.Tests.Pipeline;

/// <summary>
/// The whole pipeline through the real services: reviews written through REST, their events through the Api's
/// outbox, Rating, <c>rating-updated</c> back into the Api, and the rating the Api then serves.
/// </summary>
[Collection(CloudtalkCollection.Name)]
public sealed class RestPipelineTests(CloudtalkAppFixture fixture)
{
    [Fact]
    public async Task Review_writes_through_rest_converge_on_the_product_and_its_list_page()
    {
        var api = fixture.App.CreateApiClient();
        var database = await ApiDatabase.OpenAsync(fixture.App);
        var product = (await api.CreateProductAsync("Pipeline lamp")).Id();
        // Read by id and on the list page first, so that a stale cached answer would show below.
        await ServedRatings.WaitForAsync(api, database, product, 0, 0);

        var first = (await api.CreateReviewAsync(product, rating: 4)).Id();
        var second = (await api.CreateReviewAsync(product, rating: 2)).Id();
        var third = (await api.CreateReviewAsync(product, rating: 5)).Id();
        await ServedRatings.WaitForAsync(api, database, product, 3, ServedRatings.Mean(11, 3));

        using (var updated = await api.PutJsonAsync($"/api/reviews/{second}", new { rating = 5 }))
        {
            Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        }

        await ServedRatings.WaitForAsync(api, database, product, 3, ServedRatings.Mean(14, 3));

        await DeleteAsync(api, $"/api/reviews/{first}");
        await ServedRatings.WaitForAsync(api, database, product, 2, 5.0);

        await DeleteAsync(api, $"/api/reviews/{second}");
        await DeleteAsync(api, $"/api/reviews/{third}");
        await ServedRatings.WaitForAsync(api, database, product, 0, 0);
    }

    [Fact]
    public async Task Review_and_product_events_go_on_the_wire_with_the_contract_properties()
    {
        var api = fixture.App.CreateApiClient();
        await using var connection = await TestBus.ConnectAsync(fixture.App);
        await using var tap = await WireTap.StartAsync(connection,
            EventNames.ReviewCreated, EventNames.ReviewUpdated, EventNames.ReviewDeleted, EventNames.ProductDeleted);
        var product = (await api.CreateProductAsync("Wired lamp")).Id();

        // The request's trace goes on with the event: the message's traceparent is in the same trace.
        var traceId = ActivityTraceId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/reviews")
        {
            Content = JsonContent(new { productId = product, firstName = "Ada", rating = 4 }),
        };
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        using var response = await api.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var review = (await response.ReadJsonAsync()).Id();

        var created = await tap.WaitForAsync(EventNames.ReviewCreated, body => ReviewId(body) == review, TestBus.ConvergenceTimeout);
        Assert.True(Guid.TryParse(created.MessageId, out _), $"message-id {created.MessageId} is not a UUID");
        Assert.Equal(EventNames.ReviewCreated, created.Type);
        Assert.Equal("application/json", created.ContentType);
        Assert.True(created.Persistent);
        Assert.NotNull(created.TraceParent);
        Assert.Equal(traceId.ToString(), created.TraceParent.Split('-')[1]);
        Assert.Equal(product, created.Body.GetProperty("productId").GetInt64());
        Assert.Equal(4, created.Body.GetProperty("rating").GetInt32());
        Assert.Equal(1, created.Body.GetProperty("reviewVersion").GetInt64());

        using (var updatedResponse = await api.PutJsonAsync($"/api/reviews/{review}", new { rating = 2 }))
        {
            Assert.Equal(HttpStatusCode.OK, updatedResponse.StatusCode);
        }

        var updated = await tap.WaitForAsync(EventNames.ReviewUpdated, body => ReviewId(body) == review, TestBus.ConvergenceTimeout);
        Assert.Equal(2, updated.Body.GetProperty("rating").GetInt32());
        Assert.Equal(4, updated.Body.GetProperty("previousRating").GetInt32());
        Assert.Equal(2, updated.Body.GetProperty("reviewVersion").GetInt64());

        await DeleteAsync(api, $"/api/reviews/{review}");
        var deleted = await tap.WaitForAsync(EventNames.ReviewDeleted, body => ReviewId(body) == review, TestBus.ConvergenceTimeout);
        Assert.Equal(2, deleted.Body.GetProperty("rating").GetInt32());
        Assert.Equal(3, deleted.Body.GetProperty("reviewVersion").GetInt64());

        await DeleteAsync(api, $"/api/products/{product}");
        var productDeleted = await tap.WaitForAsync(EventNames.ProductDeleted,
            body => body.GetProperty("productId").GetInt64() == product, TestBus.ConvergenceTimeout);
        Assert.Equal(EventNames.ProductDeleted, productDeleted.Type);
        Assert.True(productDeleted.Persistent);

        // Every event has an id of its own.
        var ids = new[] { created, updated, deleted, productDeleted }.Select(message => message.MessageId).ToHashSet();
        Assert.Equal(4, ids.Count);
    }

    [Fact]
    public async Task An_older_or_repeated_rating_never_overwrites_a_newer_one()
    {
        var api = fixture.App.CreateApiClient();
        var database = await ApiDatabase.OpenAsync(fixture.App);
        await using var bus = await TestBus.StartAsync(fixture.App);
        var product = (await api.CreateProductAsync("Rated lamp")).Id();
        var probe = (await api.CreateProductAsync("Probe lamp")).Id();
        var gone = (await api.CreateProductAsync("Gone lamp")).Id();
        await DeleteAsync(api, $"/api/products/{gone}");

        var newer = new RatingUpdated(product, 4.5, 2, 1_000);
        var newerId = await bus.PublishAsync(newer);
        await ServedRatings.WaitForAsync(api, database, product, 2, 4.5);

        // Older versions after the newer one, the newer one again (same and new event id), and a rating for a
        // product that was deleted meanwhile (acknowledged and ignored, not dead-lettered).
        var staleIds = new List<Guid>
        {
            await bus.PublishAsync(new RatingUpdated(product, 1.0, 1, 999)),
            await bus.PublishAsync(newer, newerId),
            await bus.PublishAsync(newer),
            await bus.PublishAsync(new RatingUpdated(product, 2.0, 1, 1)),
            await bus.PublishAsync(new RatingUpdated(gone, 3.0, 1, 5)),
        };

        // The Api's single consumer handles its queue in order: once the probe's rating is served, everything
        // published before it has been handled.
        await bus.PublishAsync(new RatingUpdated(probe, 3.0, 1, 1));
        await ServedRatings.WaitForAsync(api, database, probe, 1, 3.0);

        Assert.Equal((4.5, 2), await ServedRatings.ByIdAsync(api, product));
        Assert.Equal((4.5, 2), await ServedRatings.OnListPageAsync(api, database, product));
        Assert.Equal(1_000, await database.ScalarAsync<long>("SELECT rating_version FROM products WHERE id = $1", product));
        var deadLettered = await bus.MessageIdsOnQueueAsync(MessagingTopology.DeadLetterQueueOf(MessagingTopology.ApiRatingUpdatedQueue));
        Assert.DoesNotContain(deadLettered, id => staleIds.Any(stale => stale.ToString() == id));
    }

    [Fact]
    public async Task A_rating_for_a_product_that_never_existed_is_dead_lettered_and_the_others_are_applied()
    {
        var api = fixture.App.CreateApiClient();
        var database = await ApiDatabase.OpenAsync(fixture.App);
        await using var bus = await TestBus.StartAsync(fixture.App);
        var product = (await api.CreateProductAsync("Rated beside a stranger")).Id();
        // Far beyond any id the products' sequence has handed out.
        var neverCreated = 9_000_000_000_000_000 + Random.Shared.NextInt64(1_000_000_000);

        var unknownId = await bus.PublishAsync(new RatingUpdated(neverCreated, 4.0, 1, 1));
        await bus.PublishAsync(new RatingUpdated(product, 2.5, 2, 7));

        await ServedRatings.WaitForAsync(api, database, product, 2, 2.5);
        var deadLetter = await bus.FindOnQueueAsync(
            MessagingTopology.DeadLetterQueueOf(MessagingTopology.ApiRatingUpdatedQueue), unknownId.ToString());
        Assert.Equal(EventNames.RatingUpdated, deadLetter!.BasicProperties.Type);
        Assert.Equal(0, await database.ScalarAsync<long>("SELECT count(*) FROM products WHERE id = $1", neverCreated));
    }

    private static long ReviewId(System.Text.Json.JsonElement body) => body.GetProperty("reviewId").GetInt64();

    private static StringContent JsonContent(object body) =>
        new(System.Text.Json.JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");

    private static async Task DeleteAsync(HttpClient api, string url)
    {
        using var response = await api.DeleteAsync(url);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }
}
