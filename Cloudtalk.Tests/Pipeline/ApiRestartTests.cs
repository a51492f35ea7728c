using Cloudtalk.Common.Messaging;
using Cloudtalk.Tests.Infrastructure;
using Cloudtalk.Tests.Messaging;

namespace Cloudtalk.Tests.Pipeline;

/// <summary>
/// The Api crashes after committing a review and its event but before relaying it: once it runs again its relay
/// sends the event, and the product's rating converges.
/// </summary>
[Collection(CloudtalkCollection.Name)]
public sealed class ApiRestartTests(CloudtalkAppFixture fixture)
{
    [Fact]
    public async Task The_relay_sends_what_was_left_unsent_when_the_api_crashed()
    {
        var api = fixture.App.CreateApiClient();
        var database = await ApiDatabase.OpenAsync(fixture.App);
        var faults = new SystemFaults(fixture.App);
        var product = (await api.CreateProductAsync("Crash lamp")).Id();
        await api.CreateReviewAsync(product, rating: 2);
        await ServedRatings.WaitForAsync(api, database, product, 1, 2.0);

        try
        {
            // A crash: the Api process is killed (SIGKILL), no graceful shutdown.
            await faults.KillAsync("api");

            // What the crashed Api had committed: a review and its event, in one transaction, never relayed.
            var eventId = Guid.NewGuid();
            await database.ExecuteAsync(
                """
                WITH review AS (
                    INSERT INTO reviews (product_id, first_name, rating, review_version, created_at, updated_at)
                    VALUES ($1, 'Crash', 4, 1, now(), now()) RETURNING id)
                INSERT INTO outbox_messages (id, type, routing_key, payload, created_at)
                SELECT $2, $3, $3, jsonb_build_object('reviewId', id, 'productId', $1, 'rating', 4, 'reviewVersion', 1), now()
                FROM review
                """,
                product, eventId, EventNames.ReviewCreated);

            await faults.StartAsync("api");

            await ServedRatings.WaitForAsync(api, database, product, 2, 3.0);
            await Eventually.WaitAsync(
                () => database.ScalarAsync<bool>("SELECT sent_at IS NOT NULL FROM outbox_messages WHERE id = $1", eventId),
                sent => sent, TestBus.ConvergenceTimeout, () => $"outbox row {eventId} is not marked sent");
        }
        finally
        {
            await faults.EnsureRunningAsync("api");
        }
    }
}
