using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Cloudtalk.Common.Messaging;
using Cloudtalk.Tests.Infrastructure;
using Cloudtalk.Tests.Messaging;
using Cloudtalk.Tests.Rating;

namespace Cloudtalk.Tests.Pipeline;

/// <summary>
/// Two Api and three Rating replicas under 500 concurrent review creates, updates and deletes through REST:
/// afterwards every product serves exactly the mean and count of its reviews in the Api's database, no outbox row
/// is left unsent and nothing was dead-lettered.
/// </summary>
[Collection(ReplicatedRatingCollection.Name)]
public sealed class ReplicatedPipelineTests(ReplicatedRatingFixture fixture)
{
    private const int Products = 20;
    private const int Operations = 500;

    [Fact]
    public async Task Concurrent_review_writes_across_replicas_end_exactly_right()
    {
        var app = fixture.App;
        var api = app.CreateApiClient();
        var database = await ApiDatabase.OpenAsync(app);
        var ratingDatabase = await RatingDatabase.OpenAsync(app);
        await using var connection = await TestBus.ConnectAsync(app);
        await using (var channel = await connection.CreateChannelAsync())
        {
            // Every replica is up and consuming before the load starts, so that they really compete.
            await Eventually.WaitAsync(
                async () => (
                    Api: (await channel.QueueDeclarePassiveAsync(MessagingTopology.ApiRatingUpdatedQueue)).ConsumerCount,
                    Rating: (await channel.QueueDeclarePassiveAsync(MessagingTopology.RatingReviewEventsQueue)).ConsumerCount),
                consumers => consumers == (ReplicatedRatingFixture.ApiReplicas, ReplicatedRatingFixture.RatingReplicas),
                TestBus.ConvergenceTimeout, () => "not every replica consumes its queue");
        }

        var products = new List<long>();
        for (var index = 0; index < Products; index++)
        {
            products.Add((await api.CreateProductAsync(string.Create(CultureInfo.InvariantCulture, $"Busy lamp {index}"))).Id());
        }

        // Creates, updates and deletes interleaved, 32 at a time; updates and deletes pick reviews that exist or
        // are being deleted concurrently (then a 404 is the right answer).
        var reviews = new ConcurrentDictionary<long, long>();
        var answers = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Operations), new ParallelOptions { MaxDegreeOfParallelism = 32 },
            async (index, cancellationToken) =>
            {
                var random = new Random(20261125 + index);
                var known = reviews.Keys.ToArray();
                var roll = random.NextDouble();
                if (known.Length < 10 || roll < 0.5)
                {
                    var product = products[random.Next(products.Count)];
                    var created = await api.CreateReviewAsync(product, rating: random.Next(1, 6));
                    reviews[created.Id()] = product;
                    answers.Add("created");
                }
                else if (roll < 0.8)
                {
                    var review = known[random.Next(known.Length)];
                    using var response = await api.PutJsonAsync($"/api/reviews/{review}", new { rating = random.Next(1, 6) });
                    Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound, $"PUT: {response.StatusCode}");
                    answers.Add(response.StatusCode == HttpStatusCode.OK ? "updated" : "update-404");
                }
                else
                {
                    var review = known[random.Next(known.Length)];
                    using var response = await api.DeleteAsync($"/api/reviews/{review}", cancellationToken);
                    Assert.True(response.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.NotFound, $"DELETE: {response.StatusCode}");
                    answers.Add(response.StatusCode == HttpStatusCode.NoContent ? "deleted" : "delete-404");
                }
            });
        Assert.Equal(Operations, answers.Count);
        Assert.Contains("updated", answers);
        Assert.Contains("deleted", answers);

        // The truth: the Api's database. The served rating must equal it exactly, by id and on the list pages.
        var totals = await database.ReviewTotalsAsync(products);
        foreach (var product in products)
        {
            var (count, sum) = totals[product];
            await ServedRatings.WaitForAsync(api, database, product, count, ServedRatings.Mean(sum, count));

            // The same reviews through REST.
            var page = await api.GetJsonAsync($"/api/products/{product}/reviews?limit=1000");
            Assert.Equal(count, page.GetProperty("totalItems").GetInt32());
            Assert.Equal(sum, page.GetProperty("data").EnumerateArray().Sum(review => (long)review.GetProperty("rating").GetInt32()));
        }

        // Nothing left behind: every committed event was relayed, nothing was dead-lettered.
        await Eventually.WaitAsync(
            async () => (Api: await database.ScalarAsync<long>("SELECT count(*) FROM outbox_messages WHERE sent_at IS NULL"),
                Rating: await ratingDatabase.ScalarAsync<long>("SELECT count(*) FROM outbox_messages WHERE sent_at IS NULL")),
            unsent => unsent == (0, 0), TestBus.ConvergenceTimeout, () => "outbox rows are left unsent");
        await using (var channel = await connection.CreateChannelAsync())
        {
            foreach (var queue in MessagingTopology.Queues.Keys)
            {
                var deadLetters = await channel.QueueDeclarePassiveAsync(MessagingTopology.DeadLetterQueueOf(queue));
                Assert.True(deadLetters.MessageCount == 0, $"{deadLetters.MessageCount} messages in {deadLetters.QueueName}");
            }
        }
    }
}
