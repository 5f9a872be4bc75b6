package io.lorafleet.actors.protocol;

import static io.lorafleet.actors.protocol.WireContext.text;

import io.lorafleet.actors.protocol.wire.RelayProto;
import io.lorafleet.actors.routing.GenerationService;
import io.lorafleet.actors.routing.RelayEvent;
import io.lorafleet.actors.routing.WireError;
import io.lorafleet.actors.routing.WireParams;
import io.lorafleet.actors.routing.WireResult;
import io.lorafleet.actors.routing.WireToken;
import io.lorafleet.runtime.engine.FinishReason;
import java.util.List;

/** Routing and relay ({@code relay.proto}): relayed requests, their events and what those carry. */
final class RelayMapper {
  private final WireContext c;
  private final WireLimits limits;

  RelayMapper(WireContext c) {
    this.c = c;
    this.limits = c.limits;
  }

  List<Binding<?>> bindings() {
    return List.of(
        Binding.of("r.gen", GenerationService.Generate.class, this::generate,
            in -> generate(RelayProto.Generate.parseFrom(in))),
        Binding.of("r.cancel", GenerationService.Cancel.class,
            m -> RelayProto.Cancel.newBuilder().setRequestId(m.requestId()).setAttempt(m.attempt()).build(),
            in -> {
              var p = RelayProto.Cancel.parseFrom(in);
              return new GenerationService.Cancel(limits.string(p.getRequestId(), "request_id"), p.getAttempt());
            }),
        Binding.of("r.started", RelayEvent.Started.class,
            m -> RelayProto.Started.newBuilder().setRequestId(m.requestId()).setAttempt(m.attempt()).build(),
            in -> {
              var p = RelayProto.Started.parseFrom(in);
              return new RelayEvent.Started(limits.string(p.getRequestId(), "request_id"), p.getAttempt());
            }),
        Binding.of("r.refused", RelayEvent.Refused.class,
            m -> RelayProto.Refused.newBuilder().setRequestId(m.requestId()).setAttempt(m.attempt())
                .setError(error(m.error())).build(),
            in -> {
              var p = RelayProto.Refused.parseFrom(in);
              return new RelayEvent.Refused(limits.string(p.getRequestId(), "request_id"), p.getAttempt(),
                  error(p.getError()));
            }),
        Binding.of("r.token", RelayEvent.Token.class, this::tokenEvent,
            in -> tokenEvent(RelayProto.TokenEvent.parseFrom(in))),
        Binding.of("r.finished", RelayEvent.Finished.class,
            m -> RelayProto.Finished.newBuilder().setRequestId(m.requestId()).setAttempt(m.attempt())
                .setResult(result(m.result())).build(),
            in -> {
              var p = RelayProto.Finished.parseFrom(in);
              return new RelayEvent.Finished(limits.string(p.getRequestId(), "request_id"), p.getAttempt(),
                  result(p.getResult()));
            }),
        Binding.of("r.failed", RelayEvent.Failed.class,
            m -> RelayProto.Failed.newBuilder().setRequestId(m.requestId()).setAttempt(m.attempt())
                .setError(error(m.error())).build(),
            in -> {
              var p = RelayProto.Failed.parseFrom(in);
              return new RelayEvent.Failed(limits.string(p.getRequestId(), "request_id"), p.getAttempt(),
                  error(p.getError()));
            }),
        Binding.of("r.params", WireParams.class, this::params, in -> params(RelayProto.Params.parseFrom(in))),
        Binding.of("r.tok", WireToken.class, this::token, in -> token(RelayProto.Token.parseFrom(in))),
        Binding.of("r.result", WireResult.class, this::result, in -> result(RelayProto.Result.parseFrom(in))),
        Binding.of("r.error", WireError.class, this::error, in -> error(RelayProto.Error.parseFrom(in))));
  }

  RelayProto.Generate generate(GenerationService.Generate m) {
    var b = RelayProto.Generate.newBuilder().setRequestId(m.requestId()).setAttempt(m.attempt())
        .setParams(params(m.params())).setReplyTo(c.ref(m.replyTo()));
    for (int t : m.prompt()) {
      b.addPrompt(t);
    }
    if (m.adapterId() != null) {
      b.setAdapterId(m.adapterId());
    }
    if (m.autoSource() != null) {
      b.setAutoSource(m.autoSource());
    }
    return b.build();
  }

  GenerationService.Generate generate(RelayProto.Generate p) {
    return new GenerationService.Generate(limits.string(p.getRequestId(), "request_id"), p.getAttempt(),
        limits.ints(p.getPromptCount(), p::getPrompt, "prompt"),
        limits.optional(p.hasAdapterId(), p.getAdapterId(), "adapter_id"),
        limits.optional(p.hasAutoSource(), p.getAutoSource(), "auto_source"), params(p.getParams()),
        c.ref(p.getReplyTo(), "reply_to"));
  }

  RelayProto.Params params(WireParams m) {
    var b = RelayProto.Params.newBuilder().setMaxNewTokens(m.maxNewTokens()).setTemperature(m.temperature())
        .setTopK(m.topK()).setTopP(m.topP()).setRepetitionPenalty(m.repetitionPenalty()).setIgnoreEos(m.ignoreEos())
        .setTopLogprobs(m.topLogprobs()).setPromptLogprobs(m.promptLogprobs())
        .setSkipSpecialTokens(m.skipSpecialTokens()).setConstraintKind(text(m.constraintKind()))
        .setConstraintSource(text(m.constraintSource()));
    if (c.version >= 2) { // added in version 2
      b.setPriority(text(m.priority()));
    }
    if (m.hasSeed()) {
      b.setSeed(m.seed());
    }
    for (String s : m.stop()) {
      b.addStop(s);
    }
    for (int t : m.stopTokenIds()) {
      b.addStopTokenIds(t);
    }
    return b.build();
  }

  WireParams params(RelayProto.Params p) {
    return new WireParams(p.getMaxNewTokens(), p.getTemperature(), p.getTopK(), p.getTopP(),
        p.getRepetitionPenalty(), p.hasSeed(), p.getSeed(), limits.strings(p.getStopCount(), p::getStop, "stop"),
        limits.ints(p.getStopTokenIdsCount(), p::getStopTokenIds, "stop_token_ids"), p.getIgnoreEos(),
        p.getTopLogprobs(), p.getPromptLogprobs(), p.getSkipSpecialTokens(),
        limits.string(p.getConstraintKind(), "constraint_kind"),
        limits.string(p.getConstraintSource(), "constraint_source"), limits.string(p.getPriority(), "priority"));
  }

  private RelayProto.TokenEvent tokenEvent(RelayEvent.Token m) {
    return RelayProto.TokenEvent.newBuilder().setRequestId(m.requestId()).setAttempt(m.attempt())
        .setToken(token(m.token())).build();
  }

  private RelayEvent.Token tokenEvent(RelayProto.TokenEvent p) {
    return new RelayEvent.Token(limits.string(p.getRequestId(), "request_id"), p.getAttempt(), token(p.getToken()));
  }

  RelayProto.Token token(WireToken m) {
    var b = RelayProto.Token.newBuilder().setIndex(m.index()).setTokenId(m.tokenId()).setText(text(m.text()))
        .setLogprob(m.logprob()).setSpecial(m.special()).setFinishReason(finishReason(m.finishReason()));
    if (m.topIds().length > 0 || m.topLogprobs().length > 0) {
      b.setTop(top(m.topIds(), m.topLogprobs()));
    }
    return b.build();
  }

  WireToken token(RelayProto.Token p) {
    RelayProto.TopChoices top = p.getTop();
    checkParallel(top, "top");
    return new WireToken(p.getIndex(), p.getTokenId(), limits.string(p.getText(), "text"), p.getLogprob(),
        limits.ints(top.getIdsCount(), top::getIds, "top.ids"),
        limits.floats(top.getLogprobsCount(), top::getLogprobs, "top.logprobs"), p.getSpecial(),
        finishReason(p.getFinishReason()));
  }

  private static RelayProto.TopChoices top(int[] ids, float[] logprobs) {
    var b = RelayProto.TopChoices.newBuilder();
    for (int id : ids) {
      b.addIds(id);
    }
    for (float lp : logprobs) {
      b.addLogprobs(lp);
    }
    return b.build();
  }

  private static void checkParallel(RelayProto.TopChoices top, String field) {
    if (top.getIdsCount() != top.getLogprobsCount()) {
      throw new MalformedMessageException(field + ": " + top.getIdsCount() + " ids but " + top.getLogprobsCount()
          + " log-probabilities");
    }
  }

  RelayProto.Result result(WireResult m) {
    var b = RelayProto.Result.newBuilder().setRequestId(m.requestId()).setText(text(m.text()))
        .setFinishReason(finishReason(m.finishReason())).setSeed(m.seed());
    if (m.adapterId() != null) {
      b.setAdapterId(m.adapterId());
    }
    for (int t : m.promptTokenIds()) {
      b.addPromptTokenIds(t);
    }
    for (int t : m.tokenIds()) {
      b.addTokenIds(t);
    }
    for (float lp : m.logprobs()) {
      b.addLogprobs(lp);
    }
    if (m.topIds().length != m.topLogprobs().length) {
      throw new IllegalArgumentException("WireResult: " + m.topIds().length + " top id lists but "
          + m.topLogprobs().length + " top log-probability lists");
    }
    for (int i = 0; i < m.topIds().length; i++) {
      b.addTop(top(m.topIds()[i], m.topLogprobs()[i]));
    }
    if (m.promptLogprobs() != null) {
      var f = RelayProto.FloatList.newBuilder();
      for (float lp : m.promptLogprobs()) {
        f.addValues(lp);
      }
      b.setPromptLogprobs(f);
    }
    return b.build();
  }

  WireResult result(RelayProto.Result p) {
    int n = limits.count(p.getTopCount(), "top");
    int[][] topIds = new int[n][];
    float[][] topLogprobs = new float[n][];
    for (int i = 0; i < n; i++) {
      RelayProto.TopChoices t = p.getTop(i);
      checkParallel(t, "top");
      topIds[i] = limits.ints(t.getIdsCount(), t::getIds, "top.ids");
      topLogprobs[i] = limits.floats(t.getLogprobsCount(), t::getLogprobs, "top.logprobs");
    }
    RelayProto.FloatList pl = p.getPromptLogprobs();
    return new WireResult(limits.string(p.getRequestId(), "request_id"),
        limits.optional(p.hasAdapterId(), p.getAdapterId(), "adapter_id"),
        limits.ints(p.getPromptTokenIdsCount(), p::getPromptTokenIds, "prompt_token_ids"),
        limits.ints(p.getTokenIdsCount(), p::getTokenIds, "token_ids"), limits.string(p.getText(), "text"),
        limits.floats(p.getLogprobsCount(), p::getLogprobs, "logprobs"), topIds, topLogprobs,
        p.hasPromptLogprobs() ? limits.floats(pl.getValuesCount(), pl::getValues, "prompt_logprobs") : null,
        finishReason(p.getFinishReason()), p.getSeed());
  }

  RelayProto.Error error(WireError m) {
    var b = RelayProto.Error.newBuilder().setType(text(m.type()));
    if (m.message() != null) {
      b.setMessage(m.message());
    }
    return b.build();
  }

  WireError error(RelayProto.Error p) {
    return new WireError(limits.string(p.getType(), "type"), limits.optional(p.hasMessage(), p.getMessage(),
        "message"));
  }

  static RelayProto.FinishReason finishReason(FinishReason r) {
    if (r == null) {
      return RelayProto.FinishReason.FINISH_REASON_UNSPECIFIED;
    }
    return switch (r) {
      case LENGTH -> RelayProto.FinishReason.FINISH_REASON_LENGTH;
      case EOS -> RelayProto.FinishReason.FINISH_REASON_EOS;
      case STOP -> RelayProto.FinishReason.FINISH_REASON_STOP;
      case CANCELLED -> RelayProto.FinishReason.FINISH_REASON_CANCELLED;
    };
  }

  /** Null for UNSPECIFIED and for a reason a newer release added (the token or result is read as unfinished). */
  static FinishReason finishReason(RelayProto.FinishReason r) {
    return switch (r) {
      case FINISH_REASON_LENGTH -> FinishReason.LENGTH;
      case FINISH_REASON_EOS -> FinishReason.EOS;
      case FINISH_REASON_STOP -> FinishReason.STOP;
      case FINISH_REASON_CANCELLED -> FinishReason.CANCELLED;
      case FINISH_REASON_UNSPECIFIED, UNRECOGNIZED -> null;
    };
  }
}
