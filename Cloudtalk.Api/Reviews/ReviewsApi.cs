using System.ComponentModel;
using Cloudtalk.Api.Idempotency;
using Cloudtalk.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Cloudtalk.Api.Reviews;

public static class ReviewsApi
{
    public static IEndpointRouteBuilder MapReviewsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/reviews").WithTags("Reviews");

        api.MapPost("", CreateReview)
            .WithName("CreateReview")
            .WithSummary("Create a review")
            .WithDescription("Creates a review of an existing product (an unknown `productId` is a 400 with " +
                "`errors.productId`). Every invalid field is reported at once. With an `Idempotency-Key` header, a " +
                "repeated request gets the first answer instead of a second review.")
            .Accepts<ReviewRequest>("application/json")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        api.MapGet("{id:long}", GetReview)
            .WithName("GetReview")
            .WithSummary("Get a review")
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPut("{id:long}", UpdateReview)
            .WithName("UpdateReview")
            .WithSummary("Update a review")
            .WithDescription("Takes the same fields as create. A field left out keeps its current value; " +
                "`lastName` or `reviewText` sent as null is cleared; a required field sent as null is a 400. " +
                "`productId` may be left out or repeated; a different one is a 400 (a review never moves).")
            .Accepts<ReviewRequest>("application/json")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        api.MapDelete("{id:long}", DeleteReview)
            .WithName("DeleteReview")
            .WithSummary("Delete a review")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return app;
    }

    public static async Task<Results<Created<ReviewResponse>, ValidationProblem, ProblemHttpResult>> CreateReview(
        HttpRequest request, ReviewRepository reviews,
        // Bound for the OpenAPI document; IdempotentRequest.Read checks the raw header, where a repeated one shows.
        [FromHeader(Name = IdempotentRequest.HeaderName), Description(IdempotentRequest.HeaderDescription)] string? idempotencyKey,
        CancellationToken cancellationToken)
    {
        var (document, problem) = await JsonBody.ReadObjectAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        using (document)
        {
            var errors = new ValidationErrors();
            var idempotency = IdempotentRequest.Read(request, document!.RootElement, errors);
            var input = ReviewRules.Parse(new JsonFields(document.RootElement, errors), errors, creating: true);
            if (input is null || !errors.IsEmpty)
            {
                return TypedResults.ValidationProblem(errors.ToDictionary());
            }

            var result = await reviews.CreateAsync(input, idempotency, cancellationToken);
            return result switch
            {
                { Review: { } created } => TypedResults.Created(Location(created.Id), created),
                { Prior.Replay: { } replay } => IdempotentAnswers.Replay<ReviewResponse>(request.HttpContext.Response, replay),
                { Status: ReviewWriteStatus.AnsweredBefore } => IdempotentAnswers.KeyReused(),
                _ => UnknownProduct(input.ProductId.Value),
            };
        }
    }

    internal static string Location(long id) => $"/api/reviews/{id}";

    public static async Task<Results<Ok<ReviewResponse>, ProblemHttpResult>> GetReview(
        long id, ReviewRepository reviews, CancellationToken cancellationToken) =>
        id > 0 && await reviews.GetAsync(id, cancellationToken) is { } review
            ? TypedResults.Ok(review)
            : NotFound(id);

    public static async Task<Results<Ok<ReviewResponse>, ValidationProblem, ProblemHttpResult>> UpdateReview(
        long id, HttpRequest request, ReviewRepository reviews, CancellationToken cancellationToken)
    {
        if (id <= 0)
        {
            return NotFound(id);
        }

        var (document, problem) = await JsonBody.ReadObjectAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        using (document)
        {
            var errors = new ValidationErrors();
            var input = ReviewRules.Parse(new JsonFields(document!.RootElement, errors), errors, creating: false);
            if (input is null)
            {
                return TypedResults.ValidationProblem(errors.ToDictionary());
            }

            var result = await reviews.UpdateAsync(id, input, cancellationToken);
            return result.Status switch
            {
                ReviewWriteStatus.Done => TypedResults.Ok(result.Review),
                ReviewWriteStatus.ProductIdChanged => TypedResults.ValidationProblem(new Dictionary<string, string[]>
                {
                    ["productId"] = ["A review never moves to another product: productId must be left out or unchanged."],
                }),
                _ => NotFound(id),
            };
        }
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteReview(
        long id, ReviewRepository reviews, CancellationToken cancellationToken) =>
        id > 0 && await reviews.DeleteAsync(id, cancellationToken)
            ? TypedResults.NoContent()
            : NotFound(id);

    private static ValidationProblem UnknownProduct(long productId) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]>
        {
            ["productId"] = [$"There is no product with id {productId}."],
        });

    private static ProblemHttpResult NotFound(long id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, detail: $"There is no review with id {id}.");
}
