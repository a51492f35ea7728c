using Cloudtalk.Api.Infrastructure;
using Cloudtalk.Common.Events;
using Cloudtalk.Common.Outbox;
using Cloudtalk.Tests.Infrastructure;
using Cloudtalk.Tests.Pipeline;
using Microsoft.EntityFrameworkCore;

namespace Cloudtalk.Tests.Messaging;

/// <summary>
/// The outbox interceptor hands the relay exactly the rows that committed, when they committed: on the Api's real
/// database, through a context of the test's own with the interceptor in it. The rows are <c>rating-updated</c> for
/// products that do not exist: when the running Api's relay sends them, its own consumer ignores them.
/// </summary>
[Collection(CloudtalkCollection.Name)]
public sealed class OutboxHandOverTests(CloudtalkAppFixture fixture)
{
    private readonly OutboxSignal<ApiDbContext> _signal = new();

    [Fact]
    public async Task Rows_of_a_statement_that_commits_on_its_own_are_handed_over_at_once()
    {
        await using var db = await OpenAsync();
        var row = NewRow();

        await db.InsertOutboxEventsAsync([row], CancellationToken.None);

        Assert.Equal(new[] { row.Id }, HandedOver());
    }

    [Fact]
    public async Task Rows_saved_by_SaveChanges_in_its_own_transaction_are_handed_over_after_it()
    {
        await using var db = await OpenAsync();
        var row = db.AddOutboxEvent(UnknownProductRating());
        Assert.Empty(HandedOver());

        await db.SaveChangesAsync();

        Assert.Equal(new[] { row.Id }, HandedOver());
    }

    [Fact]
    public async Task Rows_of_an_explicit_transaction_are_handed_over_by_its_commit_not_before()
    {
        await using var db = await OpenAsync();
        var saved = db.AddOutboxEvent(UnknownProductRating());
        var inserted = NewRow();
        await using var transaction = await db.Database.BeginTransactionAsync();
        await db.SaveChangesAsync();
        await db.InsertOutboxEventsAsync([inserted], CancellationToken.None);
        Assert.Empty(HandedOver());

        await transaction.CommitAsync();

        Assert.Equal(new[] { saved.Id, inserted.Id }.Order(), HandedOver().Order());
    }

    [Fact]
    public async Task Rows_of_a_transaction_that_rolls_back_or_is_abandoned_are_never_handed_over()
    {
        await using var db = await OpenAsync();
        var rolledBack = NewRow();
        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            await db.InsertOutboxEventsAsync([rolledBack], CancellationToken.None);
            await transaction.RollbackAsync();
        }

        var abandoned = NewRow();
        await using (await db.Database.BeginTransactionAsync())
        {
            // Disposed without a commit or a rollback, as a failed attempt's transaction is.
            await db.InsertOutboxEventsAsync([abandoned], CancellationToken.None);
        }

        // The next transaction's commit hands over its own row only.
        var committed = NewRow();
        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            await db.InsertOutboxEventsAsync([committed], CancellationToken.None);
            await transaction.CommitAsync();
        }

        Assert.Equal(new[] { committed.Id }, HandedOver());
        var database = await ApiDatabase.OpenAsync(fixture.App);
        Assert.Equal(0L, await database.ScalarAsync<long>(
            "SELECT count(*) FROM outbox_messages WHERE id = ANY($1)", new[] { rolledBack.Id, abandoned.Id }));
    }

    /// <summary>Without the retrying strategy, which refuses a <c>SaveChanges</c> inside a transaction the test opened.</summary>
    private async Task<ApiDbContext> OpenAsync() =>
        await ApiRepositories.OpenDbContextAsync(fixture.App, new OutboxCommitInterceptor<ApiDbContext>(_signal), retrying: false);

    private List<Guid> HandedOver() => _signal.TakeCommitted(100).ConvertAll(row => row.Id);

    private static OutboxMessage NewRow() => OutboxMessage.Create(UnknownProductRating());

    /// <summary>A rating for a product id the Api never hands out (ids are far below), so nothing applies it.</summary>
    private static RatingUpdated UnknownProductRating() =>
        new(long.MaxValue - Random.Shared.Next(1_000_000), 0, 0, 1);
}
