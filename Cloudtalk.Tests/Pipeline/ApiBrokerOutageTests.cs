using System.Net;
using Cloudtalk.Tests.Infrastructure;
using Cloudtalk.Tests.Messaging;

namespace Cloudtalk.Tests.Pipeline;

/// <summary>
/// RabbitMQ is down while reviews are written through REST: the writes still succeed (change and event commit to
/// PostgreSQL together), the events wait unsent in the Api's outbox, and once the broker is back the relay sends
/// them and the ratings converge.
/// </summary>
[Collection(CloudtalkCollection.Name)]
public sealed class ApiBrokerOutageTests(CloudtalkAppFixture fixture)
{
    private const string Broker = "rabbitmq";

    [Fact]
    public async Task Writes_during_a_broker_outage_are_relayed_when_it_returns()
    {
        var api = fixture.App.CreateApiClient();
        var database = await ApiDatabase.OpenAsync(fixture.App);
        var faults = new SystemFaults(fixture.App);
        var product = (await api.CreateProductAsync("Outage lamp")).Id();
        var kept = (await api.CreateReviewAsync(product, rating: 5)).Id();
        await ServedRatings.WaitForAsync(api, database, product, 1, 5.0);

        try
        {
            await faults.StopAsync(Broker);

            var created = (await api.CreateReviewAsync(product, rating: 1)).Id();
            using (var updated = await api.PutJsonAsync($"/api/reviews/{kept}", new { rating = 3 }))
            {
                Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
            }

            // Committed, not sent: the events of both writes wait in the outbox.
            Assert.Equal(2, await database.ScalarAsync<long>(
                "SELECT count(*) FROM outbox_messages WHERE sent_at IS NULL AND (payload->>'reviewId')::bigint = ANY($1)",
                [new[] { created, kept }]));

            await faults.StartAsync(Broker);

            await ServedRatings.WaitForAsync(api, database, product, 2, 2.0);
            await Eventually.WaitAsync(
                () => database.ScalarAsync<long>("SELECT count(*) FROM outbox_messages WHERE sent_at IS NULL"),
                unsent => unsent == 0, TestBus.ConvergenceTimeout, () => "outbox rows are left unsent");
        }
        finally
        {
            await faults.EnsureRunningAsync(Broker);
        }
    }
}
