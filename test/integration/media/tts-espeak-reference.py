# Reference word onsets from espeak-ng's own synthesis events (libespeak-ng callback API, via ctypes).
# stdin: {"text", "voice", "wpm", "pitch"}; stdout: {"sampleRate", "samples", "words": [{"char", "sample"}]}
# "char" is the 0-based code-point index of the word in text; "sample" is the event's audio position.
import ctypes, json, sys

lib = ctypes.CDLL("libespeak-ng.so.1")


class Event(ctypes.Structure):  # espeak_EVENT from speak_lib.h
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", ctypes.c_char * 8)]


SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(Event))
AUDIO_OUTPUT_SYNCHRONOUS, INITIALIZE_DONT_EXIT = 2, 0x8000
EVENT_LIST_TERMINATED, EVENT_WORD = 0, 1
RATE, PITCH = 1, 3
POS_CHARACTER, CHARS_UTF8 = 1, 1

request = json.load(sys.stdin)
sample_rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, None, INITIALIZE_DONT_EXIT)
if lib.espeak_SetVoiceByName(request["voice"].encode()) != 0:
    sys.exit("unknown voice")
lib.espeak_SetParameter(RATE, request["wpm"], 0)
lib.espeak_SetParameter(PITCH, request["pitch"], 0)
result = {"sampleRate": sample_rate, "samples": 0, "words": []}


def on_audio(wav, count, events):
    if wav:
        result["samples"] += count
    i = 0
    while events[i].type != EVENT_LIST_TERMINATED:
        if events[i].type == EVENT_WORD:
            result["words"].append({"char": events[i].text_position - 1, "sample": events[i].sample})
        i += 1
    return 0


callback = SynthCallback(on_audio)
lib.espeak_SetSynthCallback(callback)
text = request["text"].encode("utf-8")
lib.espeak_Synth(ctypes.c_char_p(text), len(text) + 1, 0, POS_CHARACTER, 0, CHARS_UTF8, None, None)
lib.espeak_Synchronize()
print(json.dumps(result))
