using System.Data.Common;
using Cloudtalk.Api.Infrastructure;
using Cloudtalk.Api.Reviews;
using Cloudtalk.Tests.Caching;
using Cloudtalk.Tests.Infrastructure;
using Cloudtalk.Tests.Pipeline;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace Cloudtalk.Tests.Reviews;

/// <summary>
/// <see cref="ReviewRepository.CreateAsync"/> when the connection fails at the worst moment: the commit reached
/// PostgreSQL, its answer never came back. The repository runs here, in the test process, on the system's real
/// database and Redis, with the Api's retrying execution strategy; an EF interceptor throws the transient error a
/// lost connection raises, right after the commit. Only a test in process can place a fault that exactly.
/// </summary>
[Collection(CloudtalkCollection.Name)]
public sealed class ReviewCreateRetryTests(CloudtalkAppFixture fixture)
{
    [Fact]
    public async Task A_create_whose_commit_answer_is_lost_is_done_once_and_answered_as_done()
    {
        using var api = fixture.App.CreateApiClient();
        var productId = (await api.CreateProductAsync("commit answer lost")).Id();
        var lostAnswer = new LoseTheFirstCommitAnswer();
        await using var db = await OpenDbContextAsync(lostAnswer);
        await using var redis = await fixture.App.ConnectRedisAsync();
        using var cache = TestCaches.Create(redis);
        var repository = new ReviewRepository(db, cache, TimeProvider.System);

        var result = await repository.CreateAsync(Input(productId, rating: 3), CancellationToken.None);

        Assert.Equal(1, lostAnswer.Thrown);
        Assert.Equal(ReviewWriteStatus.Done, result.Status);
        var reviewId = result.Review!.Id;
        var database = await ApiDatabase.OpenAsync(fixture.App);
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM reviews WHERE product_id = $1", productId));
        Assert.Equal(reviewId, await database.ScalarAsync<long>("SELECT id FROM reviews WHERE product_id = $1", productId));
        Assert.Equal(1L, await database.ScalarAsync<long>(
            "SELECT count(*) FROM outbox_messages WHERE type = 'review-created' AND (payload ->> 'reviewId')::bigint = $1", reviewId));
        // The event went out once, and Rating counted the review once.
        await ServedRatings.WaitForAsync(api, database, productId, 1, 3);
    }

    private async Task<ApiDbContext> OpenDbContextAsync(IInterceptor interceptor)
    {
        var options = new DbContextOptionsBuilder<ApiDbContext>()
            .UseNpgsql(await fixture.App.GetConnectionStringAsync("apidb"), npgsql => npgsql.EnableRetryOnFailure())
            .AddInterceptors(interceptor);
        ApiDbContext.ConfigureOptions(options);
        return new ApiDbContext(options.Options);
    }

    private static ReviewInput Input(long productId, int rating) => new(
        Optional.Of(productId), Optional.Of("Retry"), default, default, Optional.Of(rating));

    /// <summary>After the first successful commit, throws what Npgsql throws when the connection drops.</summary>
    private sealed class LoseTheFirstCommitAnswer : DbTransactionInterceptor
    {
        public int Thrown { get; private set; }

        public override Task TransactionCommittedAsync(
            DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            if (Thrown++ == 0)
            {
                throw new NpgsqlException("Exception while reading from stream", new IOException("Connection reset by peer"));
            }

            return Task.CompletedTask;
        }
    }
}
