using System.Data.Common;
using Cloudtalk.Api.Infrastructure;
using Cloudtalk.Api.Products;
using Cloudtalk.Api.Reviews;
using Cloudtalk.Common.Events;
using Cloudtalk.Common.Outbox;
using Cloudtalk.Tests.Infrastructure;
using Cloudtalk.Tests.Pipeline;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace Cloudtalk.Tests.Persistence;

/// <summary>
/// The Api's writes when a connection to PostgreSQL fails at the worst moments, which only a test in process can
/// hit exactly: the repositories run here, on the system's real database and Redis, with the Api's retrying
/// execution strategy, and an EF interceptor throws the transient error Npgsql raises for a lost connection.
/// <list type="bullet">
/// <item>After a commit: it reached PostgreSQL, its answer never came back. Each write must find out that it
/// committed (it added an outbox row, or for a product create PostgreSQL keeps its transaction's status: EF Core's
/// <c>ExecuteInTransactionAsync</c> checks) instead of running again.</item>
/// <item>On the review id's draw from the hi/lo sequence (as on a pooled connection that a PostgreSQL restart
/// closed): the draw is retried like every other statement.</item>
/// </list>
/// </summary>
[Collection(CloudtalkCollection.Name)]
public sealed class TransientFaultWriteTests(CloudtalkAppFixture fixture) : IAsyncLifetime
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
    public async Task A_review_create_is_done_once_and_answered_as_done()
    {
        var productId = (await _api.CreateProductAsync("create, commit answer lost")).Id();
        var lostAnswer = new LoseTheFirstReviewInsertAnswer();
        await using var write = await StartWriteAsync(lostAnswer);

        var result = await write.Reviews.CreateAsync(Input(productId, rating: 3), idempotency: null, CancellationToken.None);

        Assert.Equal(1, lostAnswer.Thrown);
        Assert.Equal(ReviewWriteStatus.Done, result.Status);
        var reviewId = result.Review!.Id;
        Assert.Equal(1L, await Database.ScalarAsync<long>("SELECT count(*) FROM reviews WHERE product_id = $1", productId));
        Assert.Equal(reviewId, await Database.ScalarAsync<long>("SELECT id FROM reviews WHERE product_id = $1", productId));
        Assert.Equal(1L, await EventsAboutReviewAsync("review-created", reviewId));
        // The event went out once, and Rating counted the review once.
        await ServedRatings.WaitForAsync(_api, Database, productId, 1, 3);
    }

    [Fact]
    public async Task A_batch_of_review_creates_is_done_once_and_answered_as_done()
    {
        var first = (await _api.CreateProductAsync("batch, commit answer lost")).Id();
        var second = (await _api.CreateProductAsync("batch, commit answer lost")).Id();
        var lostAnswer = new LoseTheFirstReviewInsertAnswer();
        await using var write = await StartWriteAsync(lostAnswer);
        var batch = new[] { (first, 1), (second, 4), (first, 5) }
            .Select(r => ApiRepositories.NewReview(r.Item1, r.Item2)).ToList();

        var results = await write.Reviews.InsertBatchAsync(batch, CancellationToken.None);

        Assert.Equal(1, lostAnswer.Thrown);
        Assert.All(results, result => Assert.Equal(ReviewWriteStatus.Done, result.Status));
        Assert.Equal(2L, await Database.ScalarAsync<long>("SELECT count(*) FROM reviews WHERE product_id = $1", first));
        Assert.Equal(1L, await Database.ScalarAsync<long>("SELECT count(*) FROM reviews WHERE product_id = $1", second));
        foreach (var result in results)
        {
            Assert.Equal(1L, await EventsAboutReviewAsync("review-created", result.Review!.Id));
        }

        await ServedRatings.WaitForAsync(_api, Database, first, 2, 3);
        await ServedRatings.WaitForAsync(_api, Database, second, 1, 4);
    }

    [Fact]
    public async Task A_review_create_whose_id_draw_fails_is_retried_and_done_once()
    {
        var productId = (await _api.CreateProductAsync("create, id draw failed")).Id();
        var failedDraw = new FailTheFirstIdDraw();
        await using var write = await StartWriteAsync(failedDraw);

        // Each batch of creates draws its ids; the loop allows for a draw that does not happen on every create.
        var blockSize = write.Db.Model.FindSequence(ReviewEntityConfiguration.IdSequence)!.IncrementBy;
        var ratings = new List<int>();
        while (failedDraw.Thrown == 0 && ratings.Count <= blockSize)
        {
            var rating = ratings.Count % 5 + 1;
            var result = await write.Reviews.CreateAsync(Input(productId, rating), idempotency: null, CancellationToken.None);
            Assert.Equal(ReviewWriteStatus.Done, result.Status);
            Assert.Equal(1L, await EventsAboutReviewAsync("review-created", result.Review!.Id));
            ratings.Add(rating);
        }

        Assert.Equal(1, failedDraw.Thrown);
        Assert.Equal(ratings.Count, await Database.ScalarAsync<long>("SELECT count(*) FROM reviews WHERE product_id = $1", productId));
        await ServedRatings.WaitForAsync(_api, Database, productId, ratings.Count, ServedRatings.Mean(ratings.Sum(), ratings.Count));
    }

    [Fact]
    public async Task A_review_update_is_applied_once_and_answered_as_done()
    {
        var productId = (await _api.CreateProductAsync("update, commit answer lost")).Id();
        var reviewId = (await _api.CreateReviewAsync(productId, 2)).Id();
        var lostAnswer = new LoseTheFirstCommitAnswer();
        await using var write = await StartWriteAsync(lostAnswer);

        var result = await write.Reviews.UpdateAsync(reviewId, Input(productId, rating: 4), CancellationToken.None);

        Assert.Equal(1, lostAnswer.Thrown);
        Assert.Equal(ReviewWriteStatus.Done, result.Status);
        Assert.Equal(4, result.Review!.Rating);
        // Version 2, not 3: the update was not applied a second time.
        Assert.Equal(2L, await Database.ScalarAsync<long>("SELECT review_version FROM reviews WHERE id = $1", reviewId));
        Assert.Equal(1L, await EventsAboutReviewAsync("review-updated", reviewId));
        await ServedRatings.WaitForAsync(_api, Database, productId, 1, 4);
    }

    [Fact]
    public async Task A_review_delete_is_answered_as_done_not_as_not_found()
    {
        var productId = (await _api.CreateProductAsync("review delete, commit answer lost")).Id();
        var reviewId = (await _api.CreateReviewAsync(productId, 5)).Id();
        var lostAnswer = new LoseTheFirstCommitAnswer();
        await using var write = await StartWriteAsync(lostAnswer);

        var deleted = await write.Reviews.DeleteAsync(reviewId, CancellationToken.None);

        Assert.Equal(1, lostAnswer.Thrown);
        Assert.True(deleted, "the delete was committed, yet answered as not found");
        Assert.Equal(0L, await Database.ScalarAsync<long>("SELECT count(*) FROM reviews WHERE id = $1", reviewId));
        Assert.Equal(1L, await EventsAboutReviewAsync("review-deleted", reviewId));
        await ServedRatings.WaitForAsync(_api, Database, productId, 0, 0);
    }

    [Fact]
    public async Task A_product_delete_is_answered_as_done_not_as_not_found()
    {
        var productId = (await _api.CreateProductAsync("product delete, commit answer lost")).Id();
        var lostAnswer = new LoseTheFirstCommitAnswer();
        await using var write = await StartWriteAsync(lostAnswer);

        var deleted = await write.Products.DeleteAsync(productId, CancellationToken.None);

        Assert.Equal(1, lostAnswer.Thrown);
        Assert.True(deleted, "the delete was committed, yet answered as not found");
        Assert.Equal(0L, await Database.ScalarAsync<long>("SELECT count(*) FROM products WHERE id = $1", productId));
        Assert.Equal(1L, await Database.ScalarAsync<long>(
            "SELECT count(*) FROM outbox_messages WHERE type = 'product-deleted' AND (payload ->> 'productId')::bigint = $1", productId));
    }

    [Fact]
    public async Task A_product_create_is_done_once_and_answered_as_done()
    {
        var name = $"product create, commit answer lost {Guid.NewGuid():N}";
        var lostAnswer = new LoseTheFirstCommitAnswer();
        await using var write = await StartWriteAsync(lostAnswer);

        var created = (await write.Products.CreateAsync(
            new ProductInput(Optional.Of(name), default, Optional.Of(12.5m)), idempotency: null, CancellationToken.None)).Created!;

        Assert.Equal(1, lostAnswer.Thrown);
        // One row, the one answered: the retry looked for the row by the id the insert had returned.
        Assert.Equal(1L, await Database.ScalarAsync<long>("SELECT count(*) FROM products WHERE name = $1", name));
        Assert.Equal(created.Id, await Database.ScalarAsync<long>("SELECT id FROM products WHERE name = $1", name));
        Assert.Equal(name, (await _api.GetJsonAsync($"/api/products/{created.Id}")).GetProperty("name").GetString());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_commit_check_waits_for_a_commit_still_under_way(bool commits)
    {
        // The lost commit's transaction, still open when the retry checks for its row (PostgreSQL still finishing it).
        await using var writer = await OpenDbContextAsync(retrying: false);
        await using var checker = await OpenDbContextAsync();
        await using var transaction = await writer.Database.BeginTransactionAsync();
        var row = writer.AddOutboxEvent(new ReviewCreated(-1, -1, 5, 1));
        row.SentAt = DateTimeOffset.UtcNow; // a row of this test, never to be relayed
        await writer.SaveChangesAsync();

        var check = checker.IsOutboxEventCommittedAsync(row.Id, CancellationToken.None);
        await Task.Delay(300);
        if (check.IsCompleted)
        {
            Assert.Fail($"the check answered {await check} while the transaction that adds the row was still open");
        }
        if (commits)
        {
            await transaction.CommitAsync();
        }
        else
        {
            await transaction.RollbackAsync();
        }

        Assert.Equal(commits, await check.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    private Task<long> EventsAboutReviewAsync(string type, long reviewId) => Database.ScalarAsync<long>(
        "SELECT count(*) FROM outbox_messages WHERE type = $1 AND (payload ->> 'reviewId')::bigint = $2", type, reviewId);

    /// <summary>The Api's repositories over a context of their own, with the fault in it.</summary>
    private Task<ApiRepositories> StartWriteAsync(IInterceptor fault) => ApiRepositories.StartAsync(fixture.App, fault);

    private static NpgsqlException LostConnection() =>
        new("Exception while reading from stream", new IOException("Connection reset by peer"));

    private Task<ApiDbContext> OpenDbContextAsync(IInterceptor? interceptor = null, bool retrying = true) =>
        ApiRepositories.OpenDbContextAsync(fixture.App, interceptor, retrying);

    private static ReviewInput Input(long productId, int rating) => new(
        Optional.Of(productId), Optional.Of("Retry"), default, default, Optional.Of(rating));

    /// <summary>After the first successful commit, throws what Npgsql throws when the connection drops.</summary>
    private sealed class LoseTheFirstCommitAnswer : DbTransactionInterceptor
    {
        public int Thrown { get; private set; }

        public override Task TransactionCommittedAsync(
            DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            if (Thrown == 0)
            {
                Thrown++;
                throw LostConnection();
            }

            return Task.CompletedTask;
        }
    }

    /// <summary>
    /// After the first insert of reviews without an <c>Idempotency-Key</c> (one statement that commits on its own, so
    /// its answer is the commit's), throws what Npgsql throws when the connection drops.
    /// </summary>
    private sealed class LoseTheFirstReviewInsertAnswer : DbCommandInterceptor
    {
        public int Thrown { get; private set; }

        public override ValueTask<int> NonQueryExecutedAsync(
            DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
        {
            if (Thrown == 0 && command.Transaction is null && command.CommandText.Contains("INSERT INTO reviews", StringComparison.Ordinal))
            {
                Thrown++;
                throw LostConnection();
            }

            return ValueTask.FromResult(result);
        }
    }

    /// <summary>Fails the first draw of ids from a sequence, before it reaches PostgreSQL.</summary>
    private sealed class FailTheFirstIdDraw : DbCommandInterceptor
    {
        public int Thrown { get; private set; }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result,
            CancellationToken cancellationToken = default)
        {
            if (Thrown == 0 && command.CommandText.Contains("nextval", StringComparison.Ordinal))
            {
                Thrown++;
                throw LostConnection();
            }

            return ValueTask.FromResult(result);
        }
    }
}
