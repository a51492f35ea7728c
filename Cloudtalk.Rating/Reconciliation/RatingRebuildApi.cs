using Cloudtalk.Common.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Cloudtalk.ServiceDefaults;
using Polly.Timeout;

namespace Cloudtalk.Rating.Reconciliation;

/// <summary>Rating's one HTTP operation besides health: the rebuild (the dashboard's Recompute ratings command).</summary>
public static partial class RatingRebuildApi
{
    public const string Path = "/api/operations/rating-rebuild";

    public static IEndpointRouteBuilder MapRatingRebuildApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, RebuildAsync)
            .WithName("RebuildRatings")
            .WithSummary("Recompute every product's rating from the Api's reviews and republish it")
            .RequireOperationsKey();
        return app;
    }

    public static async Task<Results<Ok<RatingRebuildReport>, ProblemHttpResult>> RebuildAsync(
        RatingRebuild rebuild, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        try
        {
            return TypedResults.Ok(await rebuild.RunAsync(cancellationToken));
        }
        catch (Exception exception) when (exception is HttpRequestException or TimeoutRejectedException)
        {
            LogApiUnreachable(loggers.CreateLogger(typeof(RatingRebuildApi)), ErrorSummary.Of(exception));
            return TypedResults.Problem(
                statusCode: StatusCodes.Status502BadGateway,
                title: "The Api could not be read.",
                detail: "The rebuild reads every product's reviews from the Api, which did not answer. The ranges " +
                        "rebuilt before that are kept; run the rebuild again once the Api is up.");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The rating rebuild stopped: the Api could not be read ({Error}).")]
    private static partial void LogApiUnreachable(ILogger logger, ErrorSummary error);
}
