using Cloudtalk.Tests.Infrastructure;
using Cloudtalk.Tests.Messaging;
using Cloudtalk.Tests.Rating;

namespace Cloudtalk.Tests.Persistence;

/// <summary>
/// The services' write transactions run without EF's automatic savepoints (both DbContexts turn them off the same
/// way). What shows it in PostgreSQL: rows written after a savepoint belong to a subtransaction and carry its id as
/// <c>xmin</c>. Rating's projection records the event id (raw SQL, before SaveChanges) and then saves the review
/// record (SaveChanges): with a savepoint the two rows carry different ids, without one the same.
/// </summary>
[Collection(CloudtalkCollection.Name)]
public sealed class NoSavepointTests(CloudtalkAppFixture fixture)
{
    private readonly HttpClient _api = fixture.App.CreateApiClient();

    [Fact]
    public async Task The_projection_records_the_event_and_the_review_in_one_transaction_without_subtransactions()
    {
        var ratingDb = await RatingDatabase.OpenAsync(fixture.App);
        // Several reviews, so that pooled contexts are reused: the setting must survive the pool.
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var product = (await _api.CreateProductAsync($"one transaction {attempt}")).Id();
            var review = (await _api.CreateReviewAsync(product, 5)).Id();
            await Eventually.WaitAsync(
                () => ratingDb.ScalarAsync<long>("SELECT count(*) FROM review_ratings WHERE review_id = $1", review),
                count => count == 1, TimeSpan.FromSeconds(30), () => $"Rating never recorded review {review}");

            var sameTransaction = await ratingDb.ScalarAsync<bool>(
                "SELECT EXISTS (SELECT 1 FROM processed_events WHERE xmin = (SELECT xmin FROM review_ratings WHERE review_id = $1))",
                review);

            Assert.True(sameTransaction, $"review {review}'s record was written in a subtransaction of its event's transaction");
        }
    }
}
