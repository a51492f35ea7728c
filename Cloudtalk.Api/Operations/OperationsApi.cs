using Cloudtalk.Api.Infrastructure;
using Cloudtalk.Api.Operations;
using System.ComponentModel;
using Cloudtalk.Common.Reconciliation;
using Cloudtalk.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

// In the namespace of MapGet and MapHealthChecks, so that Program.cs maps it with one line and no using
// (Program.cs is shared with other work in progress).
namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Read-only endpoints for operators: the rating check (the dashboard's check-ratings command calls it) and the
/// source Rating rebuilds its aggregates from (the recompute-ratings command).
/// </summary>
public static class OperationsApi
{
    public static IEndpointRouteBuilder MapOperationsApi(this IEndpointRouteBuilder app)
    {
        // Operators only: each call reads every product (see OperationsKey).
        var api = app.MapGroup("/api/operations").WithTags("Operations").RequireOperationsKey();

        api.MapGet("rating-reconciliation", CheckRatings)
            .WithName("CheckRatingReconciliation")
            .WithSummary("Check every product's rating against its reviews")
            .WithDescription("Recomputes each product's review count and exact mean rating from the reviews in the Api's " +
                "database (PostgreSQL, not the cache) and lists the products whose served `averageRating` or " +
                "`reviewCount` differ (count unequal, or means more than 1e-9 apart). Expected: no mismatch once the " +
                "last write has settled. Read-only; it reads every product, so it is meant for operators, not for clients.");

        api.MapGet("rating-sources", GetRatingSources)
            .WithName("GetRatingSources")
            .WithSummary("Read a range of products with their reviews' ratings")
            .WithDescription("For Rating's rebuild (the dashboard's **Recompute ratings**): the products with an id in " +
                "(`afterProductId`, `throughProductId`], each with its served `ratingVersion` and every review's " +
                "`reviewId`, `rating` and `version`, read from PostgreSQL in one snapshot; `nextProductId` is the " +
                "lowest product id above the range (null: none), so that a caller can skip gaps and knows where to stop. " +
                "A range is at most 1000 ids wide.")
            .ProducesValidationProblem();

        return app;
    }

    public static async Task<Results<Ok<RatingSourceRange>, ValidationProblem>> GetRatingSources(
        [FromQuery, Description(RatingSourceRequest.AfterDescription)] string? afterProductId,
        [FromQuery, Description(RatingSourceRequest.ThroughDescription)] string? throughProductId,
        ApiDbContext db, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        return RatingSourceRequest.Parse(afterProductId, throughProductId, errors) is { } request
            ? TypedResults.Ok(await RatingSources.ReadAsync(db, request, cancellationToken))
            : TypedResults.ValidationProblem(errors.ToDictionary());
    }

    public static async Task<Ok<RatingReconciliationReport>> CheckRatings(ApiDbContext db, CancellationToken cancellationToken) =>
        TypedResults.Ok(await RatingReconciliation.RunAsync(db, cancellationToken));
}
